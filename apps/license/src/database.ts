// The license database: LICENSE_DATABASE_URL, or an embedded Postgres under .data/ for local
// runs. Migrations are applied at every start (idempotent).
import { fileURLToPath } from "node:url";
import { applyMigrations, ensureDatabase, startEmbeddedPostgres } from "@dsai/postgres";

export const LICENSE_MIGRATIONS_DIR = fileURLToPath(new URL("../prisma/migrations", import.meta.url));

export async function openLicenseDatabase(url: string | undefined, dataDir: string): Promise<{ url: string; stop(): Promise<void> }> {
  if (url) {
    await applyMigrations({ url, migrationsDir: LICENSE_MIGRATIONS_DIR });
    return { url, stop: async () => {} };
  }
  const server = await startEmbeddedPostgres({ dataDir });
  const dbUrl = await ensureDatabase(server.adminUrl, "dsai_license");
  await applyMigrations({ url: dbUrl, migrationsDir: LICENSE_MIGRATIONS_DIR });
  return { url: dbUrl, stop: server.stop };
}
