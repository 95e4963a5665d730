// The tenant database through Prisma 7 (pg driver adapter, no native engine): the tenant API's
// reads and writes. The call path keeps its own pg pool (store.ts).
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "./generated/prisma/client.ts";

export function createTenantDbClient(url: string): PrismaClient {
  return new PrismaClient({ adapter: new PrismaPg({ connectionString: url, max: 4 }) });
}
