// createServer(options) -> { start, stop }: the License Service on one port (REST + /trpc),
// with the reservation sweeper. index/main only start it.
import { fastifyTRPCPlugin } from "@trpc/server/adapters/fastify";
import { createAdmin } from "./admin.ts";
import { buildHttpApp } from "./http.ts";
import { createKeyCache } from "./key-cache.ts";
import { createRateLimiter } from "./rate-limit.ts";
import { createStore } from "./store.ts";
import { licenseAdminRouter, type TAdminContext } from "./trpc.ts";

export type TLicenseServerOptions = {
  databaseUrl: string;
  host: string;
  port: number;
  adminToken: string | undefined;
  reservationTtlSeconds: number;
  rateLimit: { perSecond: number; burst: number };
  poolSize?: number;
  /** How often expired reservations are released. */
  sweepIntervalMs?: number;
};

export function createLicenseServer(options: TLicenseServerOptions) {
  const store = createStore({ url: options.databaseUrl, poolSize: options.poolSize });
  const keys = createKeyCache({ store, url: options.databaseUrl });
  const admin = createAdmin(store, { keyRevoked: (keyId) => keys.forget(keyId) });
  const app = buildHttpApp({
    store,
    keys,
    rateLimiter: createRateLimiter(options.rateLimit),
    reservationTtlSeconds: options.reservationTtlSeconds,
  });
  app.register(fastifyTRPCPlugin, {
    prefix: "/trpc",
    trpcOptions: {
      router: licenseAdminRouter,
      createContext: ({ req }: { req: { headers: Record<string, string | string[] | undefined> } }): TAdminContext => {
        const header = req.headers.authorization;
        const presented = typeof header === "string" && header.startsWith("Bearer ") ? header.slice(7) : undefined;
        return { admin, adminToken: options.adminToken, presentedToken: presented };
      },
    },
  });
  let sweeper: NodeJS.Timeout | undefined;
  let port = options.port;
  return {
    store,
    admin,
    get port() {
      return port;
    },
    get url() {
      return `http://${options.host}:${port}`;
    },
    async start(): Promise<number> {
      await keys.start();
      await app.listen({ host: options.host, port: options.port });
      const address = app.server.address();
      port = typeof address === "object" && address ? address.port : options.port;
      sweeper = setInterval(() => void store.expireReservations().catch(() => {}), options.sweepIntervalMs ?? 5_000);
      sweeper.unref();
      return port;
    },
    async stop(): Promise<void> {
      if (sweeper) clearInterval(sweeper);
      await app.close();
      await keys.stop();
      await store.close();
    },
  };
}

export type TLicenseServer = ReturnType<typeof createLicenseServer>;
