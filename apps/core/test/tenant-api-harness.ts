// The tenant API without HTTP: the router's createCaller over a real tenant database (embedded
// Postgres, migrated), with the caller's principal chosen per call — tests of every procedure
// for every kind of caller, fast enough for property tests.
import { randomBytes } from "node:crypto";
import { createTestDatabase, startTestServer } from "@dsai/postgres";
import pg from "pg";
import { migrateTenantDatabase } from "../src/database.ts";
import type { TPrincipal } from "../src/tenant-api/auth.ts";
import { tenantApiRouter } from "../src/tenant-api/router.ts";
import { createContextInner } from "../src/tenant-api/trpc.ts";
import { createTenantDbClient } from "../src/tenant-db.ts";

export const PLATFORM: TPrincipal = { kind: "platform" };
export const TENANT_KEY: TPrincipal = { kind: "api_key", keyId: "test-key" };

export async function startTenantApi(options: { slug?: string } = {}) {
  const server = await startTestServer();
  const database = await createTestDatabase(server.adminUrl, "tenant_api");
  await migrateTenantDatabase(database.url);
  const db = createTenantDbClient(database.url);
  const pool = new pg.Pool({ connectionString: database.url, max: 2 });
  const secretKey = randomBytes(32);
  const caller = (principal: TPrincipal | undefined) =>
    tenantApiRouter.createCaller(createContextInner({ db, pool, secretKey, slug: options.slug ?? "acme", liveCalls: () => [], principal }));
  return {
    caller,
    /** The platform's caller (every procedure is open to it). */
    platform: caller(PLATFORM),
    db,
    pool,
    secretKey,
    async close() {
      await db.$disconnect();
      await pool.end();
      await database.close();
      await server.stop();
    },
  };
}
export type TTenantApiHarness = Awaited<ReturnType<typeof startTenantApi>>;
