// The console's API against real Postgres: the committed platform migrations, a real pg-boss
// queue, and callers made with createCaller for any signed-in user (or nobody).
import { createPlatformClient, PLATFORM_MIGRATIONS_DIR, type PrismaClient, platformFactories } from "@dsai/db";
import { createLicenseServer, LICENSE_MIGRATIONS_DIR, type TLicenseServer } from "@dsai/license";
import { applyMigrations, createTestDatabase, startTestServer } from "@dsai/postgres";
import { createCaller } from "../src/server/api/root.ts";
import type { TSessionUser } from "../src/server/auth/accounts.ts";
import { startQueue, workQueue } from "../src/server/jobs/queue.ts";
import type { TCoreEndpoint } from "../src/server/tenant-core/client.ts";
import type { TDeployTarget } from "../src/server/tenants/lifecycle.ts";
import { createRunExecutor, type TExecutorDeps } from "../src/worker/executor.ts";

export const BASE_DOMAIN = "dsai.localhost";

/** Secrets of tenants are sealed with this key in tests. */
export const TEST_PLATFORM_KEY = Buffer.alloc(32, 9);

export async function startConsoleHarness(o: { coreEndpoint?: TCoreEndpoint; providersImage?: string; targets?: TDeployTarget[] } = {}) {
  const server = await startTestServer();
  const database = await createTestDatabase(server.adminUrl, "console");
  await applyMigrations({ url: database.url, migrationsDir: PLATFORM_MIGRATIONS_DIR });
  const db: PrismaClient = createPlatformClient(database.url);
  const queue = await startQueue(database.url);
  const make = platformFactories(db);
  const sessionOf = (u: { id: string; email: string; name: string | null; isPlatformAdmin: boolean }): TSessionUser => ({
    id: u.id,
    email: u.email,
    name: u.name,
    isPlatformAdmin: u.isPlatformAdmin,
  });
  return {
    db,
    queue,
    databaseUrl: database.url,
    adminUrl: server.adminUrl,
    make,
    sessionOf,
    callerAs: (user: TSessionUser | null) =>
      createCaller({
        db,
        user,
        queue,
        baseDomain: BASE_DOMAIN,
        // Without a core in the test, calls to one go nowhere (a closed port on loopback).
        cores: { endpoint: o.coreEndpoint ?? (() => ({ url: "http://127.0.0.1:9" })), secretKey: TEST_PLATFORM_KEY },
        providersImage: o.providersImage ?? "dsai/providers:test",
        targets: o.targets ?? ["docker"],
      }),
    /** A worker on this console's queue, provisioning with `deps`; resolves to what stops it. */
    async startWorker(deps: Omit<TExecutorDeps, "db">): Promise<() => Promise<void>> {
      const executor = createRunExecutor({ db, log: () => {}, ...deps });
      return workQueue(queue.boss, (tenantId) => executor.drainTenant(tenantId));
    },
    /** Waits until the tenant reaches `status`; a failed tenant (or the deadline) ends it with its runs' errors. */
    async waitForTenant(slug: string, status: string, timeoutMs = 240_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const tenant = await db.tenant.findUniqueOrThrow({ where: { slug } });
        if (tenant.status === status) return tenant;
        if (tenant.status === "failed" || Date.now() > deadline) {
          const runs = await db.provisioningRun.findMany({ where: { tenantId: tenant.id } });
          throw new Error(`tenant ${slug} is ${tenant.status}, waited for ${status}: ${runs.map((r) => r.error).join("; ")}`);
        }
        await new Promise((r) => setTimeout(r, 250));
      }
    },
    async close() {
      await queue.stop();
      await db.$disconnect();
      await database.close();
      await server.stop();
    },
  };
}
export type TConsoleHarness = Awaited<ReturnType<typeof startConsoleHarness>>;

/** A real License Service on port 0 over its own database on the harness's server (the caller stops it). */
export async function startTestLicense(adminUrl: string, adminToken: string): Promise<TLicenseServer> {
  const database = await createTestDatabase(adminUrl, "license");
  await applyMigrations({ url: database.url, migrationsDir: LICENSE_MIGRATIONS_DIR });
  const license = createLicenseServer({
    databaseUrl: database.url,
    host: "127.0.0.1",
    port: 0,
    adminToken,
    reservationTtlSeconds: 3600,
    rateLimit: { perSecond: 1000, burst: 1000 },
    poolSize: 5,
  });
  await license.start();
  return license;
}
