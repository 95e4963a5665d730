// The tenant database: CORE_DATABASE_URL (the tenant's own Postgres in its stack). Migrations
// are applied at every start (idempotent), so a new core version brings its schema with it.
import { fileURLToPath } from "node:url";
import { applyMigrations } from "@dsai/postgres";

export const CORE_MIGRATIONS_DIR = fileURLToPath(new URL("../prisma/migrations", import.meta.url));

export async function migrateTenantDatabase(url: string) {
  return applyMigrations({ url, migrationsDir: CORE_MIGRATIONS_DIR });
}
