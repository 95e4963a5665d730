// The core's HTTP side: POST /calls and GET /calls/<uuid>/next for the dialplan (form-encoded
// in, text/plain out, as Asterisk's CURL() needs), the tenant API at /trpc, /healthz and
// Prometheus /metrics.
import { timingSafeEqual } from "node:crypto";
import { ZOpenCallSchema } from "@dsai/contracts";
import { fastifyTRPCPlugin } from "@trpc/server/adapters/fastify";
import Fastify, { type FastifyInstance, type FastifyRequest } from "fastify";
import { z } from "zod";
import type { TCallManager } from "./calls/call-manager.ts";
import type { PrismaClient } from "./generated/prisma/client.ts";
import type { TMetrics } from "./metrics.ts";
import type { TStore } from "./store.ts";
import { authenticate } from "./tenant-api/auth.ts";
import { tenantApiRouter } from "./tenant-api/router.ts";
import { createContextInner, type TTenantApiContext } from "./tenant-api/trpc.ts";

const REFUSAL_STATUS = { suspended: 403, no_credit: 402, unknown_agent: 404, unavailable: 503 } as const;

function tokenMatches(presented: string, expected: string): boolean {
  const a = Buffer.from(presented);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The dialplan puts the tenant token in the URL's query; API clients may use a Bearer header. */
function presentedToken(req: FastifyRequest): string {
  const query = (req.query as { token?: unknown }).token;
  if (typeof query === "string") return query;
  const header = req.headers.authorization ?? "";
  return header.startsWith("Bearer ") ? header.slice(7) : "";
}

export function buildHttpApp(deps: {
  calls: TCallManager;
  store: TStore;
  metrics: TMetrics;
  tenantToken: string;
  platformSecret: string | undefined;
  secretKey: Buffer | undefined;
  tenantSlug: string | undefined;
  tenantDb: PrismaClient;
}): FastifyInstance {
  // Dialplan requests are tiny; the tenant API's largest input (an agent's prompt) fits in 64 KiB.
  const app = Fastify({ bodyLimit: 64 * 1024, logger: false });
  app.register(fastifyTRPCPlugin, {
    prefix: "/trpc",
    trpcOptions: {
      router: tenantApiRouter,
      createContext: async ({ req }: { req: FastifyRequest }): Promise<TTenantApiContext> =>
        createContextInner({
          db: deps.tenantDb,
          pool: deps.store.pool,
          secretKey: deps.secretKey,
          slug: deps.tenantSlug,
          liveCalls: () => deps.calls.liveCalls(),
          principal: await authenticate(deps.store.pool, deps.platformSecret, req.headers.authorization),
        }),
    },
  });
  app.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string" }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });
  app.setErrorHandler((err: Error & { statusCode?: number }, _req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) reply.log.error(err);
    return reply
      .status(status)
      .type("text/plain")
      .send(status === 500 ? "error" : "bad_request");
  });

  app.post("/calls", { bodyLimit: 4_096 }, async (req, reply) => {
    reply.type("text/plain");
    if (!tokenMatches(presentedToken(req), deps.tenantToken)) return reply.status(401).send("unauthorized");
    const parsed = ZOpenCallSchema.safeParse(req.body ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return reply.status(400).send(`bad_request ${issue?.path.join(".") ?? ""}`.trim());
    }
    const result = await deps.calls.open(parsed.data);
    if (!result.ok) {
      deps.metrics.callsRefused.inc({ reason: result.refusal });
      return reply.status(REFUSAL_STATUS[result.refusal]).send(result.refusal);
    }
    return reply.send(result.uuid);
  });

  app.get("/calls/:uuid/next", async (req, reply) => {
    reply.type("text/plain");
    if (!tokenMatches(presentedToken(req), deps.tenantToken)) return reply.status(401).send("unauthorized");
    const uuid = z.uuid().safeParse((req.params as { uuid: string }).uuid);
    if (!uuid.success) return reply.status(400).send("bad_request uuid");
    // Empty body: nowhere to go, the dialplan hangs up.
    return reply.send(deps.calls.nextHop(uuid.data) ?? "");
  });

  app.get("/healthz", async (_req, reply) => {
    try {
      await deps.store.pool.query("SELECT 1");
      return { ok: true };
    } catch {
      return reply.status(503).send({ ok: false, database: "unreachable" });
    }
  });

  app.get("/metrics", async (_req, reply) => reply.type("text/plain; version=0.0.4").send(deps.metrics.render()));
  return app;
}
