// Delivers the outbox: each call's usage to the License Service (idempotent by call UUID, so a
// retry after a timeout or a crash is counted once) and the tenant's signed webhooks. Runs beside
// the audio path, never in it: woken when rows are written (NOTIFY, or a kick in-process) and by
// a periodic sweep; failures back off exponentially.

import { lookup } from "node:dns/promises";
import { openSecret, SecretBoxError, signWebhook, ZUsageUpdateSchema } from "@dsai/contracts";
import { LicenseApiError, type TLicenseClient } from "@dsai/license-client";
import pg from "pg";
import { z } from "zod";
import type { TMetrics } from "./metrics.ts";
import { OUTBOX_CHANNEL, type TOutboxRow, type TStore } from "./store.ts";
import { isInternalAddress, WEBHOOK_MAX_ATTEMPTS } from "./webhooks.ts";

const MAX_BACKOFF_MS = 300_000;
const WEBHOOK_TIMEOUT_MS = 5_000;
const ZWebhookRowSchema = z.object({ endpointId: z.string().uuid(), body: z.record(z.string(), z.unknown()) });
const BATCH = 20;

export function backoffMs(attempts: number): number {
  return Math.min(MAX_BACKOFF_MS, 1_000 * 2 ** Math.min(attempts, 20));
}

export function createOutboxWorker(o: {
  store: TStore;
  /** Opens webhook signing secrets; without it webhooks cannot be signed and stay queued. */
  secretKey: Buffer | undefined;
  /** Deliver webhooks to loopback and private addresses too (development and tests only). */
  allowInternalWebhooks: boolean;
  databaseUrl: string;
  metrics: TMetrics;
  license: { client: TLicenseClient; licenseId: string };
  sweepMs: number;
  log(message: string): void;
}) {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;
  let listener: pg.Client | undefined;

  async function deliverWebhook(payload: unknown): Promise<void> {
    const { endpointId, body } = ZWebhookRowSchema.parse(payload);
    const endpoint = await o.store.findWebhookEndpoint(endpointId);
    if (!endpoint?.enabled) return; // deleted or disabled since: nothing to deliver
    if (!o.secretKey) throw new Error("CORE_SECRET_KEY is not set: webhooks cannot be signed");
    if (!o.allowInternalWebhooks) {
      // Checked at delivery, on what the name resolves to now (a name can be re-pointed).
      const host = new URL(endpoint.url).hostname.replace(/^\[|\]$/g, "");
      const addresses = await lookup(host, { all: true }).catch(() => []);
      if (addresses.length === 0) throw new Error(`cannot resolve ${host}`);
      const internal = addresses.find((a) => isInternalAddress(a.address));
      if (internal) throw new Error(`refused: ${host} resolves to an internal address (${internal.address})`);
    }
    const text = JSON.stringify(body);
    const timestamp = Math.floor(Date.now() / 1000);
    const res = await fetch(endpoint.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-dsai-timestamp": String(timestamp),
        "x-dsai-signature": signWebhook(openSecret(o.secretKey, endpoint.secretCiphertext), timestamp, text),
      },
      body: text,
      redirect: "manual",
      signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
    });
    await res.body?.cancel();
    if (res.status < 200 || res.status >= 300) throw new Error(`the endpoint answered HTTP ${res.status}`);
  }

  async function deliver(row: TOutboxRow) {
    try {
      if (row.kind === "usage") {
        const usage = ZUsageUpdateSchema.parse(row.payload);
        await o.license.client.update(o.license.licenseId, usage);
      } else {
        await deliverWebhook(row.payload);
      }
      o.metrics.outboxDelivered.inc({ kind: row.kind });
      return { ok: true as const };
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
      return { ok: false as const, error: message, retryInMs: backoffMs(row.attempts), giveUp };
    }
  }

  async function drain(): Promise<void> {
    for (;;) {
      const { claimed } = await o.store.deliverDue(BATCH, deliver);
      if (claimed < BATCH || stopped) return;
    }
  }

  /** Runs a delivery pass now (or right after the current one). */
  function kick(): void {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = drain()
      .catch((err: Error) => o.log(`outbox pass failed: ${err.message}`))
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
      stopped = true;
      clearInterval(timer);
      await running;
      await listener?.end().catch(() => {});
    },
    /** Resolves when a pass started now has finished (tests). */
    async flush(): Promise<void> {
      while (running) await running;
      kick();
      await running;
    },
  };
}
export type TOutboxWorker = ReturnType<typeof createOutboxWorker>;
