// Postgres for tests: the server named by DSAI_TEST_DATABASE_URL (an admin URL of any external
// Postgres), or an embedded one in a temporary folder. Each caller gets its own database with a
// random name, so tests never depend on a wiped database and can run in parallel.
import { randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dropDatabase, ensureDatabase } from "./databases.ts";
import { startEmbeddedPostgres } from "./embedded.ts";

export type TTestDatabase = { url: string; adminUrl: string; name: string; close(): Promise<void> };

export async function startTestServer(): Promise<{ adminUrl: string; stop(): Promise<void> }> {
  const external = process.env.DSAI_TEST_DATABASE_URL;
  if (external) return { adminUrl: external, stop: async () => {} };
  const root = mkdtempSync(join(tmpdir(), "dsai-pg-"));
  // As root the server runs as the `postgres` user, which must be able to enter this folder.
  chmodSync(root, 0o755);
  const server = await startEmbeddedPostgres({ dataDir: join(root, "data"), persistent: false });
  return {
    adminUrl: server.adminUrl,
    stop: async () => {
      await server.stop();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

export async function createTestDatabase(adminUrl: string, prefix = "test"): Promise<TTestDatabase> {
  const name = `${prefix}_${randomBytes(6).toString("hex")}`;
  const url = await ensureDatabase(adminUrl, name);
  return { url, adminUrl, name, close: () => dropDatabase(adminUrl, name) };
}
