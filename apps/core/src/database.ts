// The tenant database: CORE_DATABASE_URL (the tenant's own Postgres in its stack). Migrations
// are applied at every start (idempotent), so a new core version brings its schema with it.
import { fileURLToPath } from "node:url";
// The migration runner alone: the embedded server is for development and tests, not for images.
import { applyMigrations } from "@dsai/postgres/migrations";

/** The migrations folder; the container image sets CORE_MIGRATIONS_DIR (its code is one bundle). */
export const CORE_MIGRATIONS_DIR = process.env.CORE_MIGRATIONS_DIR ?? fileURLToPath(new URL("../prisma/migrations", import.meta.url));

export async function migrateTenantDatabase(url: string) {
  return applyMigrations({ url, migrationsDir: CORE_MIGRATIONS_DIR });
}
