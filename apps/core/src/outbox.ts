// Delivers the outbox: each call's usage to the License Service (idempotent by call UUID, so a
// retry after a timeout or a crash is counted once). Runs beside the audio path, never in it:
// woken by NOTIFY when a call ends and by a periodic sweep; failures back off exponentially.
import { LicenseApiError, type TLicenseClient, ZUsageUpdateSchema } from "@dsai/license-client";
import pg from "pg";
import { z } from "zod";
import type { TMetrics } from "./metrics.ts";
import { OUTBOX_CHANNEL, type TOutboxRow, type TStore } from "./store.ts";

const MAX_BACKOFF_MS = 300_000;
const BATCH = 20;

export function backoffMs(attempts: number): number {
  return Math.min(MAX_BACKOFF_MS, 1_000 * 2 ** Math.min(attempts, 20));
}

export function createOutboxWorker(o: {
  store: TStore;
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

  async function deliver(row: TOutboxRow) {
    try {
      if (row.kind === "usage") {
        const usage = ZUsageUpdateSchema.parse(row.payload);
        await o.license.client.update(o.license.licenseId, usage);
      }
      o.metrics.outboxDelivered.inc({ kind: row.kind });
      return { ok: true as const };
    } catch (err) {
      o.metrics.outboxFailures.inc({ kind: row.kind });
      const message =
        err instanceof LicenseApiError
          ? err.message
          : err instanceof z.ZodError
            ? `invalid payload: ${err.message}`
            : `unreachable: ${(err as Error).message}`;
      if (row.attempts === 0 || row.attempts % 10 === 0) o.log(`outbox ${row.dedupeKey}: ${message}`);
      return { ok: false as const, error: message, retryInMs: backoffMs(row.attempts) };
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
