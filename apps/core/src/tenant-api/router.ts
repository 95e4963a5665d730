// The tenant API (tRPC at /trpc): what the tenant dashboard and the platform use to manage a
// tenant's agents, provider profiles, numbers, SIP trunks, API keys and webhooks, and to read its
// calls, usage and live calls. Every input is validated here (zod) — numbers and trunk hosts with
// the same rules as the Asterisk generator, since they end up in Asterisk files — and every query
// is parameterized. Secrets are sealed before they are stored and never returned.
import { randomBytes } from "node:crypto";
import { ZHostSchema, ZNumberSchema, ZObjectIdSchema, ZPortSchema, ZSecretSchema, ZSipUserSchema } from "@dsai/asterisk/tenant-data";
import { initTRPC, TRPCError } from "@trpc/server";
import type pg from "pg";
import { z } from "zod";
import { sealSecret } from "../secrets.ts";
import { WEBHOOK_EVENTS } from "../webhooks.ts";
import { TENANT_KEYS, type TPrincipal } from "./auth.ts";

export type TTenantApiContext = {
  pool: pg.Pool;
  secretKey: Buffer | undefined;
  liveCalls(): { uuid: string; agentId: string; answeredAt: string | undefined }[];
  principal: TPrincipal | undefined;
};

const t = initTRPC.context<TTenantApiContext>().create();

const authed = t.procedure.use(({ ctx, next }) => {
  if (!ctx.principal) throw new TRPCError({ code: "UNAUTHORIZED", message: "a tenant API key or a platform service token is required" });
  return next({ ctx: { ...ctx, principal: ctx.principal } });
});
const platformOnly = authed.use(({ ctx, next }) => {
  if (ctx.principal.kind !== "platform") throw new TRPCError({ code: "FORBIDDEN", message: "only the platform may do this" });
  return next();
});

function seal(ctx: TTenantApiContext, secret: string): string {
  if (!ctx.secretKey)
    throw new TRPCError({ code: "PRECONDITION_FAILED", message: "CORE_SECRET_KEY is not configured: secrets cannot be stored" });
  return sealSecret(ctx.secretKey, secret);
}

/** Unique and foreign-key violations become client errors that say what clashed. */
async function write<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === "23505") throw new TRPCError({ code: "CONFLICT", message: `${what} already exists` });
    if (code === "23503") throw new TRPCError({ code: "BAD_REQUEST", message: `${what} refers to something that does not exist` });
    throw err;
  }
}

function found<T>(row: T | undefined, what: string): T {
  if (!row) throw new TRPCError({ code: "NOT_FOUND", message: `${what} not found` });
  return row;
}

const ZId = z.object({ id: z.uuid() });
const ZAgentId = ZObjectIdSchema;
const ZProviderUrl = z.url().refine((u) => /^(https?|wss?):\/\//.test(u), "an http(s) or ws(s) URL");
const ZWebhookUrl = z.url().refine((u) => /^https?:\/\//.test(u), "an http(s) URL");
const ZText = (max: number) => z.string().max(max);

const ZAgentFields = z.strictObject({
  name: z.string().trim().min(1).max(100),
  mode: z.enum(["pipeline", "sts"]).default("pipeline"),
  greeting: ZText(2_000).default(""),
  prompt: ZText(20_000).default(""),
  language: z
    .string()
    .regex(/^[a-z]{2}(-[A-Z]{2})?$/, "a language tag such as en-US")
    .default("en-US"),
  voice: z.string().max(64).nullable().default(null),
  asrProfileId: z.uuid().nullable().default(null),
  llmProfileId: z.uuid().nullable().default(null),
  ttsProfileId: z.uuid().nullable().default(null),
  stsProfileId: z.uuid().nullable().default(null),
});

const AGENT_COLUMNS = `id, name, mode, greeting, prompt, language, voice, asr_profile_id AS "asrProfileId", llm_profile_id AS "llmProfileId",
  tts_profile_id AS "ttsProfileId", sts_profile_id AS "stsProfileId", created_at AS "createdAt", updated_at AS "updatedAt"`;
const PROFILE_COLUMNS = `id, name, kind, url, settings, secret_ciphertext IS NOT NULL AS "hasSecret", created_at AS "createdAt"`;

const agents = t.router({
  list: authed.query(async ({ ctx }) => (await ctx.pool.query(`SELECT ${AGENT_COLUMNS} FROM agent ORDER BY id`)).rows),
  get: authed
    .input(z.object({ id: ZAgentId }))
    .query(async ({ ctx, input }) =>
      found((await ctx.pool.query(`SELECT ${AGENT_COLUMNS} FROM agent WHERE id = $1`, [input.id])).rows[0], "agent"),
    ),
  create: authed.input(ZAgentFields.extend({ id: ZAgentId })).mutation(({ ctx, input }) =>
    write(`agent ${input.id}`, async () => {
      const { rows } = await ctx.pool.query(
        `INSERT INTO agent (id, name, mode, greeting, prompt, language, voice, asr_profile_id, llm_profile_id, tts_profile_id, sts_profile_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING ${AGENT_COLUMNS}`,
        [
          input.id,
          input.name,
          input.mode,
          input.greeting,
          input.prompt,
          input.language,
          input.voice,
          input.asrProfileId,
          input.llmProfileId,
          input.ttsProfileId,
          input.stsProfileId,
        ],
      );
      return rows[0];
    }),
  ),
  update: authed.input(ZAgentFields.partial().extend({ id: ZAgentId })).mutation(async ({ ctx, input }) => {
    const columns: Record<string, string> = {
      name: "name",
      mode: "mode",
      greeting: "greeting",
      prompt: "prompt",
      language: "language",
      voice: "voice",
      asrProfileId: "asr_profile_id",
      llmProfileId: "llm_profile_id",
      ttsProfileId: "tts_profile_id",
      stsProfileId: "sts_profile_id",
    };
    // Column names come from the fixed map above, never from the input.
    const sets = Object.keys(input).filter((k) => k in columns && (input as Record<string, unknown>)[k] !== undefined);
    const values = sets.map((k) => (input as Record<string, unknown>)[k]);
    const assignments = sets.map((k, i) => `${columns[k]} = $${i + 2}`).join(", ");
    const { rows } = await ctx.pool.query(
      `UPDATE agent SET ${assignments ? `${assignments}, ` : ""}updated_at = now() WHERE id = $1 RETURNING ${AGENT_COLUMNS}`,
      [input.id, ...values],
    );
    return found(rows[0], `agent ${input.id}`);
  }),
  delete: authed.input(z.object({ id: ZAgentId })).mutation(async ({ ctx, input }) => {
    found((await ctx.pool.query("DELETE FROM agent WHERE id = $1 RETURNING id", [input.id])).rows[0], `agent ${input.id}`);
    return { deleted: input.id };
  }),
});

const providerProfiles = t.router({
  list: authed.query(async ({ ctx }) => (await ctx.pool.query(`SELECT ${PROFILE_COLUMNS} FROM provider_profile ORDER BY name`)).rows),
  create: authed
    .input(
      z.strictObject({
        name: z.string().trim().min(1).max(100),
        kind: z.enum(["asr", "llm", "tts", "sts"]),
        url: ZProviderUrl,
        settings: z.record(z.string(), z.union([z.string().max(2_000), z.number(), z.boolean()])).default({}),
        secret: z.string().min(1).max(4_000).optional(),
      }),
    )
    .mutation(({ ctx, input }) =>
      write(`provider profile ${input.name}`, async () => {
        const { rows } = await ctx.pool.query(
          `INSERT INTO provider_profile (id, name, kind, url, settings, secret_ciphertext)
           VALUES (gen_random_uuid(), $1, $2, $3, $4, $5) RETURNING ${PROFILE_COLUMNS}`,
          [input.name, input.kind, input.url, JSON.stringify(input.settings), input.secret ? seal(ctx, input.secret) : null],
        );
        return rows[0];
      }),
    ),
  delete: authed.input(ZId).mutation(async ({ ctx, input }) => {
    found((await ctx.pool.query("DELETE FROM provider_profile WHERE id = $1 RETURNING id", [input.id])).rows[0], "provider profile");
    return { deleted: input.id };
  }),
});

const numbers = t.router({
  list: authed.query(
    async ({ ctx }) =>
      (await ctx.pool.query('SELECT id, number, agent_id AS "agentId", created_at AS "createdAt" FROM phone_number ORDER BY number')).rows,
  ),
  create: authed.input(z.strictObject({ number: ZNumberSchema, agentId: ZAgentId })).mutation(({ ctx, input }) =>
    write(`number ${input.number}`, async () => {
      const { rows } = await ctx.pool.query(
        'INSERT INTO phone_number (id, number, agent_id) VALUES (gen_random_uuid(), $1, $2) RETURNING id, number, agent_id AS "agentId"',
        [input.number, input.agentId],
      );
      return rows[0];
    }),
  ),
  delete: authed.input(ZId).mutation(async ({ ctx, input }) => {
    found((await ctx.pool.query("DELETE FROM phone_number WHERE id = $1 RETURNING id", [input.id])).rows[0], "number");
    return { deleted: input.id };
  }),
});

const TRUNK_COLUMNS = `id, name, host, port, transport, username, password_ciphertext IS NOT NULL AS "hasPassword", created_at AS "createdAt"`;
const trunks = t.router({
  list: authed.query(async ({ ctx }) => (await ctx.pool.query(`SELECT ${TRUNK_COLUMNS} FROM sip_trunk ORDER BY name`)).rows),
  create: authed
    .input(
      z.strictObject({
        name: ZAgentId,
        host: ZHostSchema,
        port: ZPortSchema.default(5060),
        transport: z.enum(["udp", "tcp", "tls"]).default("udp"),
        username: ZSipUserSchema.optional(),
        password: ZSecretSchema.optional(),
      }),
    )
    .mutation(({ ctx, input }) =>
      write(`trunk ${input.name}`, async () => {
        const { rows } = await ctx.pool.query(
          `INSERT INTO sip_trunk (id, name, host, port, transport, username, password_ciphertext)
           VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, $6) RETURNING ${TRUNK_COLUMNS}`,
          [input.name, input.host, input.port, input.transport, input.username ?? null, input.password ? seal(ctx, input.password) : null],
        );
        return rows[0];
      }),
    ),
  delete: authed.input(ZId).mutation(async ({ ctx, input }) => {
    found((await ctx.pool.query("DELETE FROM sip_trunk WHERE id = $1 RETURNING id", [input.id])).rows[0], "trunk");
    return { deleted: input.id };
  }),
});

const apiKeys = t.router({
  list: authed.query(
    async ({ ctx }) =>
      (
        await ctx.pool.query(
          'SELECT id, key_id AS "keyId", label, created_at AS "createdAt", last_used_at AS "lastUsedAt", revoked_at AS "revokedAt" FROM api_key ORDER BY created_at',
        )
      ).rows,
  ),
  /** The token is in this answer only; the database keeps its hash. */
  create: authed.input(z.strictObject({ label: z.string().trim().min(1).max(100) })).mutation(async ({ ctx, input }) => {
    const key = TENANT_KEYS.create();
    await ctx.pool.query("INSERT INTO api_key (id, key_id, secret_hash, label) VALUES ($1, $2, $3, $4)", [
      key.id,
      key.keyId,
      key.secretHash,
      input.label,
    ]);
    return { id: key.id, keyId: key.keyId, label: input.label, token: key.token };
  }),
  revoke: authed.input(ZId).mutation(async ({ ctx, input }) => {
    const { rows } = await ctx.pool.query("UPDATE api_key SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1 RETURNING id", [
      input.id,
    ]);
    found(rows[0], "API key");
    return { revoked: input.id };
  }),
});

const webhooks = t.router({
  list: authed.query(
    async ({ ctx }) =>
      (await ctx.pool.query('SELECT id, url, events, enabled, created_at AS "createdAt" FROM webhook_endpoint ORDER BY created_at')).rows,
  ),
  /** The signing secret is generated here and shown in this answer only. */
  create: authed
    .input(z.strictObject({ url: ZWebhookUrl, events: z.array(z.enum(WEBHOOK_EVENTS)).default([]) }))
    .mutation(async ({ ctx, input }) => {
      const secret = `whsec_${randomBytes(24).toString("base64url")}`;
      const { rows } = await ctx.pool.query(
        "INSERT INTO webhook_endpoint (id, url, secret_ciphertext, events) VALUES (gen_random_uuid(), $1, $2, $3) RETURNING id, url, events, enabled",
        [input.url, seal(ctx, secret), input.events],
      );
      return { ...rows[0], secret };
    }),
  delete: authed.input(ZId).mutation(async ({ ctx, input }) => {
    found((await ctx.pool.query("DELETE FROM webhook_endpoint WHERE id = $1 RETURNING id", [input.id])).rows[0], "webhook");
    return { deleted: input.id };
  }),
});

const CALL_COLUMNS = `id, agent_id AS "agentId", from_number AS "from", to_number AS "to", status, opened_at AS "openedAt",
  answered_at AS "answeredAt", ended_at AS "endedAt", billed_seconds AS "billedSeconds", hangup_cause AS "hangupCause", transfer_target AS "transferTarget"`;
const calls = t.router({
  /** Newest first; page with `before` (the openedAt of the last call of the previous page). */
  list: authed
    .input(
      z.strictObject({
        limit: z.number().int().min(1).max(200).default(50),
        before: z.iso.datetime().optional(),
        agentId: ZAgentId.optional(),
      }),
    )
    .query(async ({ ctx, input }) => {
      const { rows } = await ctx.pool.query(
        `SELECT ${CALL_COLUMNS} FROM call
          WHERE ($1::timestamptz IS NULL OR opened_at < $1) AND ($2::text IS NULL OR agent_id = $2)
          ORDER BY opened_at DESC LIMIT $3`,
        [input.before ?? null, input.agentId ?? null, input.limit],
      );
      return rows;
    }),
  get: authed.input(ZId).query(async ({ ctx, input }) => {
    const call = found((await ctx.pool.query(`SELECT ${CALL_COLUMNS} FROM call WHERE id = $1`, [input.id])).rows[0], "call");
    const events = (await ctx.pool.query("SELECT at, kind, role, text, data FROM call_event WHERE call_id = $1 ORDER BY id", [input.id]))
      .rows;
    return { ...call, events };
  }),
  live: authed.query(({ ctx }) => ctx.liveCalls()),
});

const usage = t.router({
  /** Calls and billed seconds per UTC day, for the last `days` days. */
  perDay: authed.input(z.strictObject({ days: z.number().int().min(1).max(366).default(30) })).query(async ({ ctx, input }) => {
    const { rows } = await ctx.pool.query<{ day: string; calls: number; billedSeconds: number }>(
      `SELECT to_char(date_trunc('day', ended_at), 'YYYY-MM-DD') AS day, count(*)::int AS calls,
              COALESCE(sum(billed_seconds), 0)::int AS "billedSeconds"
         FROM call WHERE ended_at >= date_trunc('day', now()) - make_interval(days => $1 - 1)
        GROUP BY 1 ORDER BY 1`,
      [input.days],
    );
    return rows;
  }),
});

const tenant = t.router({
  status: authed.query(async ({ ctx }) => (await ctx.pool.query("SELECT status FROM tenant_setting WHERE id = 1")).rows[0]),
  /** Suspend refuses new calls at once (calls in progress finish); reactivate takes them again. */
  setStatus: platformOnly.input(z.strictObject({ status: z.enum(["active", "suspended"]) })).mutation(async ({ ctx, input }) => {
    await ctx.pool.query("UPDATE tenant_setting SET status = $1, updated_at = now() WHERE id = 1", [input.status]);
    return { status: input.status };
  }),
});

export const tenantApiRouter = t.router({ agents, providerProfiles, numbers, trunks, apiKeys, webhooks, calls, usage, tenant });

/** The router's type, for the dashboard's and the platform's tRPC clients. */
export type TTenantApiRouter = typeof tenantApiRouter;
