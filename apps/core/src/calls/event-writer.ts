// Writes the events of every call in small batches: one INSERT for all calls every 250 ms, not
// one per call (a CPU profile at 200 calls showed the per-call statements costing as much as the
// audio itself), then the webhooks those events trigger in one more statement — skipped while the
// tenant has no webhook endpoint at all (checked at most every 2 s).
import { randomUUID } from "node:crypto";
import type { TWebhookEvent } from "@dsai/contracts";
import type { TStore } from "../store.ts";
import type { TCallEventInput } from "./types.ts";

const FLUSH_MS = 250;
const ENDPOINTS_TTL_MS = 2_000;

type TPending = TCallEventInput & { callId: string; at: Date };
export type TWebhookItem = { callId: string; type: TWebhookEvent; payload: Record<string, unknown>; at: Date };

/** The webhook (AVR event name and payload) of a recorded call event, if it has one. */
function webhookOf(event: TPending): TWebhookItem | undefined {
  const base = { callId: event.callId, at: event.at };
  switch (event.kind) {
    case "transcript":
      return { ...base, type: "transcription", payload: { role: event.role, text: event.text } };
    case "interruption":
      return { ...base, type: "interruption", payload: {} };
    case "dtmf":
      return { ...base, type: "dtmf_digit", payload: { digit: event.text } };
    case "error":
      return { ...base, type: "error", payload: { message: event.text, ...(event.data ?? {}) } };
    default:
      return undefined;
  }
}

export function createEventWriter(o: { store: TStore; log(uuid: string | undefined, message: string): void; onOutboxWritten(): void }) {
  let pending: TPending[] = [];
  let timer: NodeJS.Timeout | undefined;
  let flushing: Promise<void> = Promise.resolve();
  let endpoints: { any: boolean; at: number } | undefined;

  async function anyEndpoint(): Promise<boolean> {
    if (!endpoints || performance.now() - endpoints.at > ENDPOINTS_TTL_MS) {
      endpoints = { any: await o.store.hasWebhookEndpoints(), at: performance.now() };
    }
    return endpoints.any;
  }

  /** Queues webhooks for the tenant's endpoints (off the audio path; errors are logged). */
  async function emitWebhooks(items: TWebhookItem[]): Promise<void> {
    if (items.length === 0) return;
    try {
      if (!(await anyEndpoint())) return;
      const queued = await o.store.enqueueWebhooks(
        items.map((i) => ({
          id: randomUUID(),
          type: i.type,
          body: { uuid: i.callId, type: i.type, timestamp: i.at.toISOString(), payload: i.payload },
        })),
      );
      if (queued > 0) o.onOutboxWritten();
    } catch (err) {
      o.log(items[0]?.callId, `could not queue webhooks: ${(err as Error).message}`);
    }
  }

  async function write(): Promise<void> {
    clearTimeout(timer);
    timer = undefined;
    const batch = pending;
    pending = [];
    if (batch.length === 0) return;
    try {
      await o.store.insertEvents(batch);
    } catch (err) {
      // Keep them for the next flush rather than lose them.
      pending = [...batch, ...pending];
      timer ??= setTimeout(() => void flush(), FLUSH_MS * 4);
      o.log(undefined, `could not record ${batch.length} call events: ${(err as Error).message}`);
      return;
    }
    await emitWebhooks(batch.flatMap((e) => webhookOf(e) ?? []));
  }

  /** Writes what is pending now (after any write already under way). */
  function flush(): Promise<void> {
    flushing = flushing.then(write);
    return flushing;
  }

  return {
    record(callId: string, event: TCallEventInput): void {
      pending.push({ ...event, callId, at: new Date() });
      timer ??= setTimeout(() => void flush(), FLUSH_MS);
    },
    emitWebhooks,
    flush,
    stop(): void {
      clearTimeout(timer);
    },
  };
}
export type TEventWriter = ReturnType<typeof createEventWriter>;
