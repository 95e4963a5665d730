// The core's access to its tenant database on the call path, in plain SQL through `pg`:
// tenant status, agents with their provider URLs, calls, call events and the outbox.
import { PROVIDER_HOST_PREFIX } from "@dsai/contracts";
import pg from "pg";
import type { TCallEventInput, TCallOutcome } from "./calls/types.ts";

export type TAgentRow = {
  id: string;
  mode: "pipeline" | "sts";
  greeting: string;
  prompt: string;
  asrUrl: string | null;
  llmUrl: string | null;
  ttsUrl: string | null;
  stsUrl: string | null;
  /** How each profile runs: "url" is a tenant-given address (the core guards it), "image" the platform's own. */
  asrRuntime: TRuntimeType;
  llmRuntime: TRuntimeType;
  ttsRuntime: TRuntimeType;
  stsRuntime: TRuntimeType;
};
type TRuntimeType = "url" | "image";

export type TOutboxRow = { id: string; kind: "usage" | "webhook"; dedupeKey: string; payload: unknown; attempts: number };
export type TOutboxResult = { ok: true } | { ok: false; error: string; retryInMs: number; giveUp?: boolean };

export type TUsagePayload = { callId: string; seconds: number; startedAt: string; endedAt: string; agentId: string };

export const OUTBOX_CHANNEL = "dsai_outbox";

export function createStore(options: { url: string; poolSize?: number }) {
  const pool = new pg.Pool({ connectionString: options.url, max: options.poolSize ?? 10 });
  // A dropped idle connection must not crash the process; the next query reconnects.
  pool.on("error", () => {});

  return {
    pool,

    async tenantStatus(): Promise<"active" | "suspended"> {
      const { rows } = await pool.query<{ status: "active" | "suspended" }>("SELECT status FROM tenant_setting WHERE id = 1");
      return rows[0]?.status ?? "suspended";
    },

    async setTenantStatus(status: "active" | "suspended"): Promise<void> {
      await pool.query("UPDATE tenant_setting SET status = $1, updated_at = now() WHERE id = 1", [status]);
    },

    async findAgent(id: string): Promise<TAgentRow | undefined> {
      const { rows } = await pool.query<TAgentRow>(
        // A profile that runs as an image is reached at its container's host name on the
        // tenant's network (providerServiceUrl in @dsai/contracts; $2 is its prefix).
        `SELECT a.id, a.mode, a.greeting, a.prompt,
                COALESCE(asr.url, 'http://' || $2 || asr.id || ':' || asr.port) AS "asrUrl",
                COALESCE(llm.url, 'http://' || $2 || llm.id || ':' || llm.port) AS "llmUrl",
                COALESCE(tts.url, 'http://' || $2 || tts.id || ':' || tts.port) AS "ttsUrl",
                COALESCE(sts.url, 'ws://' || $2 || sts.id || ':' || sts.port) AS "stsUrl",
                CASE WHEN asr.url IS NULL THEN 'image' ELSE 'url' END AS "asrRuntime",
                CASE WHEN llm.url IS NULL THEN 'image' ELSE 'url' END AS "llmRuntime",
                CASE WHEN tts.url IS NULL THEN 'image' ELSE 'url' END AS "ttsRuntime",
                CASE WHEN sts.url IS NULL THEN 'image' ELSE 'url' END AS "stsRuntime"
           FROM agent a
           LEFT JOIN provider_profile asr ON asr.id = a.asr_profile_id
           LEFT JOIN provider_profile llm ON llm.id = a.llm_profile_id
           LEFT JOIN provider_profile tts ON tts.id = a.tts_profile_id
           LEFT JOIN provider_profile sts ON sts.id = a.sts_profile_id
          WHERE a.id = $1`,
        [id, PROVIDER_HOST_PREFIX],
      );
      return rows[0];
    },

    async insertCall(call: { id: string; agentId: string; from: string; to: string }): Promise<void> {
      await pool.query("INSERT INTO call (id, agent_id, from_number, to_number) VALUES ($1, $2, $3, $4)", [
        call.id,
        call.agentId,
        call.from,
        call.to,
      ]);
    },

    async markAnswered(id: string, at: Date): Promise<void> {
      await pool.query("UPDATE call SET status = 'active', answered_at = $2 WHERE id = $1 AND status = 'opened'", [id, at]);
    },

    /** Events of any number of calls in one statement (the core batches every call's events). */
    async insertEvents(events: (TCallEventInput & { callId: string; at: Date })[]): Promise<void> {
      if (events.length === 0) return;
      await pool.query(
        `INSERT INTO call_event (call_id, at, kind, role, text, data)
         SELECT e.call_id, e.at, e.kind::"CallEventKind", e.role, e.text, e.data
           FROM jsonb_to_recordset($1::jsonb) AS e(call_id uuid, at timestamptz, kind text, role text, text text, data jsonb)`,
        [
          JSON.stringify(
            events.map((e) => ({
              call_id: e.callId,
              at: e.at,
              kind: e.kind,
              role: e.role ?? null,
              text: e.text ?? null,
              data: e.data ?? null,
            })),
          ),
        ],
      );
    },

    async hasWebhookEndpoints(): Promise<boolean> {
      const { rows } = await pool.query("SELECT EXISTS (SELECT 1 FROM webhook_endpoint WHERE enabled) AS any");
      return rows[0]?.any === true;
    },

    /**
     * Ends a call: its row and its usage outbox row in one transaction, so a crash can lose
     * neither without the other. Idempotent (a call ends once).
     */
    async endCall(id: string, outcome: TCallOutcome & { billedSeconds: number }, usage: TUsagePayload): Promise<boolean> {
      const client = await pool.connect();
      try {
        await client.query("BEGIN");
        const { rowCount } = await client.query(
          `UPDATE call SET status = $2, ended_at = $3, billed_seconds = $4, hangup_cause = $5, transfer_target = $6,
                  answered_at = COALESCE(answered_at, $7)
            WHERE id = $1 AND ended_at IS NULL`,
          [
            id,
            outcome.cause === "never_connected" || outcome.cause === "protocol_error" ? "failed" : "ended",
            outcome.endedAt,
            outcome.billedSeconds,
            outcome.cause,
            outcome.transferTarget ?? null,
            outcome.answeredAt ?? null,
          ],
        );
        if (rowCount === 1) {
          await client.query(
            "INSERT INTO outbox (kind, dedupe_key, payload) VALUES ('usage', $1, $2) ON CONFLICT (dedupe_key) DO NOTHING",
            [`usage:${id}`, JSON.stringify(usage)],
          );
          await client.query(`NOTIFY ${OUTBOX_CHANNEL}`);
        }
        await client.query("COMMIT");
        return rowCount === 1;
      } catch (err) {
        await client.query("ROLLBACK").catch(() => {});
        throw err;
      } finally {
        client.release();
      }
    },

    /**
     * Claims up to `limit` due rows of one kind in one statement: their next attempt is pushed a
     * lease ahead, so no other pass takes them, and nothing stays locked while they are delivered.
     * A process that dies mid-delivery leaves them due again when the lease ends.
     */
    async claimOutbox(kind: TOutboxRow["kind"], limit: number, leaseMs: number): Promise<TOutboxRow[]> {
      const { rows } = await pool.query<TOutboxRow>(
        `UPDATE outbox SET next_attempt_at = now() + make_interval(secs => $3)
          WHERE id IN (SELECT id FROM outbox
                        WHERE delivered_at IS NULL AND next_attempt_at <= now() AND kind = $1::"OutboxKind"
                        ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED)
          RETURNING id, kind, dedupe_key AS "dedupeKey", payload, attempts`,
        [kind, limit, leaseMs / 1000],
      );
      return rows.sort((a, b) => Number(BigInt(a.id) - BigInt(b.id)));
    },

    /** Records one delivery's outcome: delivered, given up (kept with its error), or retried later. */
    async recordOutbox(id: string, result: TOutboxResult): Promise<void> {
      if (result.ok) {
        await pool.query("UPDATE outbox SET delivered_at = now(), attempts = attempts + 1, last_error = NULL WHERE id = $1", [id]);
      } else if (result.giveUp) {
        await pool.query("UPDATE outbox SET delivered_at = now(), attempts = attempts + 1, last_error = $2 WHERE id = $1", [
          id,
          `gave up: ${result.error}`.slice(0, 1_000),
        ]);
      } else {
        await pool.query(
          "UPDATE outbox SET attempts = attempts + 1, last_error = $2, next_attempt_at = now() + make_interval(secs => $3) WHERE id = $1",
          [id, result.error.slice(0, 1_000), result.retryInMs / 1000],
        );
      }
    },

    async createWebhookEndpoint(endpoint: { url: string; secretCiphertext: string; events: string[] }): Promise<string> {
      const { rows } = await pool.query<{ id: string }>(
        "INSERT INTO webhook_endpoint (id, url, secret_ciphertext, events) VALUES (gen_random_uuid(), $1, $2, $3) RETURNING id",
        [endpoint.url, endpoint.secretCiphertext, endpoint.events],
      );
      return rows[0]?.id as string;
    },

    async findWebhookEndpoint(id: string): Promise<{ url: string; secretCiphertext: string; enabled: boolean } | undefined> {
      const { rows } = await pool.query<{ url: string; secretCiphertext: string; enabled: boolean }>(
        'SELECT url, secret_ciphertext AS "secretCiphertext", enabled FROM webhook_endpoint WHERE id = $1',
        [id],
      );
      return rows[0];
    },

    /** One outbox row per (enabled endpoint subscribed to the item's type, item); returns how many. */
    async enqueueWebhooks(items: { id: string; type: string; body: unknown }[]): Promise<number> {
      if (items.length === 0) return 0;
      const { rows } = await pool.query<{ n: string }>(
        `WITH queued AS (
           INSERT INTO outbox (kind, dedupe_key, payload)
           SELECT 'webhook', 'webhook:' || e.id || ':' || i.id, jsonb_build_object('endpointId', e.id, 'body', i.body)
             FROM webhook_endpoint e
             CROSS JOIN jsonb_to_recordset($1::jsonb) AS i(id text, type text, body jsonb)
            WHERE e.enabled AND (cardinality(e.events) = 0 OR i.type = ANY(e.events))
           ON CONFLICT (dedupe_key) DO NOTHING
           RETURNING 1
         )
         SELECT count(*) AS n FROM queued`,
        [JSON.stringify(items)],
      );
      return Number(rows[0]?.n ?? 0);
    },

    async heartbeat(ids: string[]): Promise<void> {
      if (ids.length > 0) await pool.query("UPDATE call SET last_seen_at = now() WHERE id = ANY($1::uuid[])", [ids]);
    },

    /** Calls a previous process left without an end (it crashed), oldest first. */
    async orphanedCalls(): Promise<{ id: string; agentId: string; openedAt: Date; answeredAt: Date | null; lastSeenAt: Date | null }[]> {
      const { rows } = await pool.query(
        `SELECT id, agent_id AS "agentId", opened_at AS "openedAt", answered_at AS "answeredAt", last_seen_at AS "lastSeenAt"
           FROM call WHERE ended_at IS NULL ORDER BY opened_at`,
      );
      return rows;
    },

    async outboxBacklog(): Promise<number> {
      const { rows } = await pool.query<{ n: string }>("SELECT count(*) AS n FROM outbox WHERE delivered_at IS NULL");
      return Number(rows[0]?.n ?? 0);
    },

    close: () => pool.end(),
  };
}
export type TStore = ReturnType<typeof createStore>;
