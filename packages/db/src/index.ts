// The platform database client. Prisma 7 talks to Postgres through the `pg` driver adapter
// (no native query engine), so the same client works offline and in any container.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "./generated/prisma/client.ts";

export * from "./generated/prisma/client.ts";

/** The Prisma migrations of the platform database (applied by @dsai/postgres's runner). */
// Built from the module's own path, not `new URL(..., import.meta.url)`: bundlers (the console's
// Next build) treat that form as an asset to bundle. The console never reads this folder.
export const PLATFORM_MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "prisma", "migrations");

export function createPlatformClient(url: string): PrismaClient {
  return new PrismaClient({ adapter: new PrismaPg({ connectionString: url }) });
}
export { platformFactories } from "./factories.ts";
