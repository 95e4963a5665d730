// The platform database client. Prisma 7 talks to Postgres through the `pg` driver adapter
// (no native query engine), so the same client works offline and in any container.
import { fileURLToPath } from "node:url";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "./generated/prisma/client.ts";

export * from "./generated/prisma/client.ts";

/** The Prisma migrations of the platform database (applied by @dsai/postgres's runner). */
export const PLATFORM_MIGRATIONS_DIR = fileURLToPath(new URL("../prisma/migrations", import.meta.url));

export function createPlatformClient(url: string): PrismaClient {
  return new PrismaClient({ adapter: new PrismaPg({ connectionString: url }) });
}
export { platformFactories } from "./factories.ts";
