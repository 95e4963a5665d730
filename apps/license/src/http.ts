// The REST API that tenant cores call (exactly the contract's paths), on Fastify. Bodies are
// JSON of at most 16 KiB; every bad input is a 4xx with a JSON error naming the field.
import { createHash } from "node:crypto";
import { MAX_BODY_BYTES, type TCredits, type TScope, ZLicenseIdSchema, ZReserveSchema, ZUsageUpdateSchema } from "@dsai/contracts";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import { parseApiKey, secretMatches } from "./api-keys.ts";
import { ApiError, invalidInput } from "./errors.ts";
import type { TKeyCache } from "./key-cache.ts";
import type { TRateLimiter } from "./rate-limit.ts";
import type { TStore } from "./store.ts";

export type THttpDeps = { store: TStore; keys: TKeyCache; rateLimiter: TRateLimiter; reservationTtlSeconds: number };

function licenseIdOf(req: FastifyRequest): string {
  const parsed = ZLicenseIdSchema.safeParse((req.params as { id?: unknown }).id);
  if (!parsed.success) throw new ApiError(400, "invalid_input", "id: a UUID", "id");
  return parsed.data;
}

/** Checks `Authorization: Bearer <key>` for `licenseId` and `scope`; applies the key's rate limit. */
async function authorize(
  deps: THttpDeps,
  req: FastifyRequest,
  reply: FastifyReply,
  licenseId: string,
  scope: TScope,
): Promise<{ agentId: string | null }> {
  const header = req.headers.authorization ?? "";
  const token = header.startsWith("Bearer ") ? header.slice(7).trim() : "";
  const parts = parseApiKey(token);
  const key = parts ? await deps.keys.get(parts.keyId) : undefined;
  if (!parts || !key || !secretMatches(parts.secret, key.secretHash)) throw new ApiError(401, "unauthorized", "missing or invalid API key");
  if (key.revokedAt) throw new ApiError(401, "key_revoked", "this API key was revoked");
  if (key.expiresAt && key.expiresAt.getTime() <= Date.now()) throw new ApiError(401, "key_expired", "this API key has expired");
  if (key.licenseId !== licenseId) {
    // Only a valid key learns whether another license exists (ids are random UUIDs anyway).
    if (!(await deps.store.getLicense(licenseId))) throw new ApiError(404, "license_not_found", `license ${licenseId} not found`);
    throw new ApiError(403, "wrong_license", "this API key belongs to another license");
  }
  if (!key.scopes.includes(scope)) throw new ApiError(403, "missing_scope", `this API key lacks the ${scope} scope`);
  const rate = deps.rateLimiter.take(key.keyId);
  if (!rate.ok) {
    reply.header("retry-after", String(rate.retryAfterSeconds));
    throw new ApiError(429, "rate_limited", `too many requests; retry after ${rate.retryAfterSeconds} s`);
  }
  return { agentId: key.agentId };
}

function creditsOf(license: { id: string; status: TCredits["status"]; balanceSeconds: number; reservedSeconds: number }): TCredits {
  return {
    licenseId: license.id,
    status: license.status,
    remainingSeconds: license.balanceSeconds,
    remainingMinutes: Math.floor(license.balanceSeconds / 60),
    reservedSeconds: license.reservedSeconds,
    allowed: license.status === "active" && license.balanceSeconds - license.reservedSeconds > 0,
  };
}

/** The body's canonical form: a retry is recognised however its JSON keys are ordered. */
function bodyHash(u: Record<string, unknown>): string {
  const canonical = JSON.stringify(
    Object.keys(u)
      .sort()
      .map((k) => [k, u[k]]),
  );
  return createHash("sha256").update(canonical).digest("hex");
}

export function buildHttpApp(deps: THttpDeps): FastifyInstance {
  const app = Fastify({ bodyLimit: MAX_BODY_BYTES, logger: false, return503OnClosing: true });

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, _req, reply) => {
    if (err instanceof ApiError) return reply.status(err.status).send(err.body());
    // Fastify's own input errors (body too large, bad JSON, wrong content type) stay 4xx.
    if (err.statusCode === 413)
      return reply.status(413).send(new ApiError(413, "body_too_large", `body over ${MAX_BODY_BYTES} bytes`).body());
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      return reply.status(err.statusCode).send(new ApiError(err.statusCode, "invalid_request", err.message, "body").body());
    }
    reply.log.error(err);
    return reply.status(500).send(new ApiError(500, "internal", "internal error").body());
  });
  app.setNotFoundHandler((_req, reply) => reply.status(404).send(new ApiError(404, "not_found", "no such resource").body()));

  app.get("/healthz", async () => {
    await deps.store.pool.query("SELECT 1");
    return { ok: true };
  });

  app.get("/license/:id/credits", async (req, reply) => {
    const id = licenseIdOf(req);
    await authorize(deps, req, reply, id, "credits:read");
    const license = await deps.store.getLicense(id);
    if (!license) throw new ApiError(404, "license_not_found", `license ${id} not found`);
    return creditsOf(license);
  });

  app.post("/license/:id/update", async (req, reply) => {
    const id = licenseIdOf(req);
    const key = await authorize(deps, req, reply, id, "usage:write");
    const parsed = ZUsageUpdateSchema.safeParse(req.body);
    if (!parsed.success) throw invalidInput(parsed.error);
    // A key issued to one agent reports only that agent's calls.
    if (key.agentId !== null && parsed.data.agentId !== key.agentId) {
      throw new ApiError(403, "agent_mismatch", `this API key reports only agent ${key.agentId}'s calls`, "agentId");
    }
    const outcome = await deps.store.recordUsage(id, parsed.data, bodyHash(parsed.data));
    switch (outcome.kind) {
      case "applied":
        return { applied: true, duplicate: false, remainingSeconds: outcome.remainingSeconds };
      case "duplicate":
        return { applied: false, duplicate: true, remainingSeconds: outcome.remainingSeconds };
      case "conflict":
        throw new ApiError(409, "call_conflict", `call ${parsed.data.callId} was already reported with a different body`, "callId");
      case "not_found":
        throw new ApiError(404, "license_not_found", `license ${id} not found`);
    }
  });

  app.post("/license/:id/reserve", async (req, reply) => {
    const id = licenseIdOf(req);
    await authorize(deps, req, reply, id, "usage:write");
    const parsed = ZReserveSchema.safeParse(req.body);
    if (!parsed.success) throw invalidInput(parsed.error);
    const outcome = await deps.store.reserve(id, parsed.data, deps.reservationTtlSeconds);
    switch (outcome.kind) {
      case "reserved":
      case "duplicate":
        return {
          reserved: true,
          duplicate: outcome.kind === "duplicate",
          remainingSeconds: outcome.remainingSeconds,
          reservedSeconds: outcome.reservedSeconds,
          expiresAt: outcome.expiresAt.toISOString(),
        };
      case "no_credit":
        throw new ApiError(402, "no_credit", "not enough unreserved credit for this call");
      case "inactive":
        throw new ApiError(403, "license_inactive", "the license is suspended or closed");
      case "conflict":
        throw new ApiError(409, "call_conflict", "this call already holds a reservation of a different size", "callId");
      case "settled":
        throw new ApiError(409, "call_settled", "this call was already reported", "callId");
      case "not_found":
        throw new ApiError(404, "license_not_found", `license ${id} not found`);
    }
  });

  return app;
}
