// Delivers the outbox: each call's usage to the License Service (idempotent by call UUID, so a
// retry after a timeout or a crash is counted once) and the tenant's signed webhooks. Runs beside
// the audio path, never in it: woken when rows are written (NOTIFY, or a kick in-process) and by
// a periodic sweep; failures back off exponentially.
//
// Usage and webhooks are two lanes that never wait for each other: a slow webhook endpoint cannot
// delay billing. Each pass claims a batch (one statement, committed), delivers it with no
// transaction or lock open, and records each outcome on its own.

import { openSecret, SecretBoxError, signWebhook, systemResolve, type TResolve, ZUsageUpdateSchema } from "@dsai/contracts";
import { LicenseApiError, type TLicenseClient } from "@dsai/license-client";
import pg from "pg";
import { z } from "zod";
import type { TMetrics } from "./metrics.ts";
import { OUTBOX_CHANNEL, type TOutboxResult, type TOutboxRow, type TStore } from "./store.ts";
import { postWebhook, WEBHOOK_MAX_ATTEMPTS } from "./webhooks.ts";

const MAX_BACKOFF_MS = 300_000;
const WEBHOOK_TIMEOUT_MS = 5_000;
const ZWebhookRowSchema = z.object({ endpointId: z.string().uuid(), body: z.record(z.string(), z.unknown()) });
const BATCH = 20;
/** A claimed row is due again after this long if its outcome was never recorded (the process died). */
const CLAIM_LEASE_MS = 30_000;

export function backoffMs(attempts: number): number {
  return Math.min(MAX_BACKOFF_MS, 1_000 * 2 ** Math.min(attempts, 20));
}

export function createOutboxWorker(o: {
  store: TStore;
  /** Opens webhook signing secrets; without it webhooks cannot be signed and stay queued. */
  secretKey: Buffer | undefined;
  /** Deliver webhooks to loopback and private addresses too (development and tests only). */
  allowInternalWebhooks: boolean;
  /** How webhook host names are resolved (the system's resolver unless a test gives one). */
  resolve?: TResolve;
  databaseUrl: string;
  metrics: TMetrics;
  license: { client: TLicenseClient; licenseId: string };
  sweepMs: number;
  log(message: string): void;
}) {
  let timer: NodeJS.Timeout | undefined;
  let listener: pg.Client | undefined;

  async function deliverWebhook(payload: unknown): Promise<void> {
    const { endpointId, body } = ZWebhookRowSchema.parse(payload);
    const endpoint = await o.store.findWebhookEndpoint(endpointId);
    if (!endpoint?.enabled) return; // deleted or disabled since: nothing to deliver
    if (!o.secretKey) throw new Error("CORE_SECRET_KEY is not set: webhooks cannot be signed");
    const text = JSON.stringify(body);
    const timestamp = Math.floor(Date.now() / 1000);
    const status = await postWebhook({
      url: endpoint.url,
      headers: {
        "content-type": "application/json",
        "x-dsai-timestamp": String(timestamp),
        "x-dsai-signature": signWebhook(openSecret(o.secretKey, endpoint.secretCiphertext), timestamp, text),
      },
      body: text,
      timeoutMs: WEBHOOK_TIMEOUT_MS,
      // Checked at delivery, on what the name resolves to now (a name can be re-pointed).
      allowInternal: o.allowInternalWebhooks,
      resolve: o.resolve ?? systemResolve,
    });
    if (status < 200 || status >= 300) throw new Error(`the endpoint answered HTTP ${status}`);
  }

  async function deliver(row: TOutboxRow): Promise<TOutboxResult> {
    try {
      if (row.kind === "usage") {
        const usage = ZUsageUpdateSchema.parse(row.payload);
        await o.license.client.update(o.license.licenseId, usage);
      } else {
        await deliverWebhook(row.payload);
      }
      o.metrics.outboxDelivered.inc({ kind: row.kind });
      return { ok: true };
    } catch (err) {
      o.metrics.outboxFailures.inc({ kind: row.kind });
      const message =
        err instanceof LicenseApiError || err instanceof SecretBoxError
          ? err.message
          : err instanceof z.ZodError
            ? `invalid payload: ${err.message}`
            : `unreachable: ${(err as Error).message}`;
      if (row.attempts === 0 || row.attempts % 10 === 0) o.log(`outbox ${row.dedupeKey}: ${message}`);
      // Usage is retried for ever (it is money); a webhook is given up after a while.
      const giveUp = row.kind === "webhook" && row.attempts + 1 >= WEBHOOK_MAX_ATTEMPTS;
      return { ok: false, error: message, retryInMs: backoffMs(row.attempts), giveUp };
    }
  }

  /**
   * One kind's deliveries: a pass at a time, another right after when kicked meanwhile. Usage
   * goes one row after another (the License Service is one peer); a batch of webhooks goes out
   * at once, each bounded by its timeout, so one slow endpoint does not hold the others.
   */
  function lane(kind: TOutboxRow["kind"]) {
    let running: Promise<void> | undefined;
    let again = false;
    let stopped = false;
    const deliverAndRecord = async (row: TOutboxRow) => o.store.recordOutbox(row.id, await deliver(row));
    async function drain(): Promise<void> {
      for (;;) {
        const rows = await o.store.claimOutbox(kind, BATCH, CLAIM_LEASE_MS);
        if (kind === "usage") for (const row of rows) await deliverAndRecord(row);
        else await Promise.all(rows.map(deliverAndRecord));
        if (rows.length < BATCH || stopped) return;
      }
    }
    function kick(): void {
      if (stopped) return;
      if (running) {
        again = true;
        return;
      }
      running = drain()
        .catch((err: Error) => o.log(`outbox ${kind} pass failed: ${err.message}`))
        .finally(() => {
          running = undefined;
          if (again) {
            again = false;
            kick();
          }
        });
    }
    return {
      kick,
      async stop() {
        stopped = true;
        await running;
      },
      async flush() {
        while (running) await running;
        kick();
        await running;
      },
    };
  }
  const lanes = [lane("usage"), lane("webhook")];

  /** Runs a delivery pass of each lane now (or right after its current one). */
  const kick = () => {
    for (const l of lanes) l.kick();
  };

  return {
    kick,
    async start(): Promise<void> {
      const client = new pg.Client({ connectionString: o.databaseUrl });
      client.on("notification", () => kick());
      client.on("error", () => {}); // the periodic sweep still delivers without NOTIFY
      await client.connect();
      await client.query(`LISTEN ${OUTBOX_CHANNEL}`);
      listener = client;
      timer = setInterval(kick, o.sweepMs);
      kick(); // what a previous process left undelivered
    },
    async stop(): Promise<void> {
      clearInterval(timer);
      await Promise.all(lanes.map((l) => l.stop()));
      await listener?.end().catch(() => {});
    },
    /** Resolves when a pass of each lane started now has finished (tests). */
    async flush(): Promise<void> {
      await Promise.all(lanes.map((l) => l.flush()));
    },
  };
}
export type TOutboxWorker = ReturnType<typeof createOutboxWorker>;
