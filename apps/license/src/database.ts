// The license database: LICENSE_DATABASE_URL; else the local embedded Postgres of `npm start`
// (its admin URL is in .data/postgres.url while it runs); else that same embedded server
// started here. Either way the database is `dsai_license`, so the service, `npm start` and the
// CLI always see the same licenses. Migrations are applied on every open (idempotent).
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { applyMigrations, ensureDatabase, startEmbeddedPostgres } from "@dsai/postgres";
import pg from "pg";

export const LICENSE_MIGRATIONS_DIR = fileURLToPath(new URL("../prisma/migrations", import.meta.url));
const DATA_DIR = fileURLToPath(new URL("../../../.data", import.meta.url));

async function answers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

export async function openLicenseDatabase(url: string | undefined): Promise<{ url: string; stop(): Promise<void> }> {
  if (url) {
    await applyMigrations({ url, migrationsDir: LICENSE_MIGRATIONS_DIR });
    return { url, stop: async () => {} };
  }
  const runningFile = join(DATA_DIR, "postgres.url");
  const running = existsSync(runningFile) ? readFileSync(runningFile, "utf8").trim() : undefined;
  if (running && (await answers(running))) {
    const dbUrl = await ensureDatabase(running, "dsai_license");
    await applyMigrations({ url: dbUrl, migrationsDir: LICENSE_MIGRATIONS_DIR });
    return { url: dbUrl, stop: async () => {} };
  }
  const server = await startEmbeddedPostgres({ dataDir: join(DATA_DIR, "postgres") });
  const dbUrl = await ensureDatabase(server.adminUrl, "dsai_license");
  await applyMigrations({ url: dbUrl, migrationsDir: LICENSE_MIGRATIONS_DIR });
  return { url: dbUrl, stop: server.stop };
}
