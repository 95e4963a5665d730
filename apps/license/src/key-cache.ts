// API keys are read on every request; caching them in memory saves a database round trip per
// update. Revocation must still take effect at once: revoking a key sends a Postgres NOTIFY
// (in the same statement), and every service instance LISTENs and drops the key. While the
// listening connection is down, the cache is bypassed, so a missed notification cannot keep a
// revoked key alive.
import pg from "pg";
import type { TApiKeyRow, TStore } from "./store.ts";

export const KEY_CHANNEL = "dsai_license_keys";
const TTL_MS = 60_000;

export type TKeyCache = {
  get(keyId: string): Promise<TApiKeyRow | undefined>;
  forget(keyId: string): void;
  start(): Promise<void>;
  stop(): Promise<void>;
};

export function createKeyCache(options: { store: TStore; url: string }): TKeyCache {
  const entries = new Map<string, { row: TApiKeyRow; at: number }>();
  let listener: pg.Client | undefined;
  let listening = false;
  let stopped = false;

  /** Keeps trying (every second) until listening again; meanwhile every lookup reads the database. */
  let retry: NodeJS.Timeout | undefined;
  function relisten(): void {
    if (stopped || retry) return; // one retry pending at a time, however many errors arrive
    retry = setTimeout(() => {
      retry = undefined;
      if (!stopped) listen().catch(relisten);
    }, 1_000).unref();
  }

  async function listen(): Promise<void> {
    const client = new pg.Client({ connectionString: options.url });
    client.on("notification", (n) => {
      if (n.channel === KEY_CHANNEL && n.payload) entries.delete(n.payload);
    });
    client.on("error", () => {
      // Connection lost: stop trusting the cache until listening again.
      listening = false;
      entries.clear();
      client.end().catch(() => {});
      relisten();
    });
    await client.connect();
    await client.query(`LISTEN ${KEY_CHANNEL}`);
    listener = client;
    listening = true;
  }

  return {
    async get(keyId) {
      const cached = entries.get(keyId);
      if (listening && cached && performance.now() - cached.at < TTL_MS) return cached.row;
      const row = await options.store.findApiKey(keyId);
      if (row && listening) entries.set(keyId, { row, at: performance.now() });
      return row;
    },
    /** Revocations made by this instance apply before its NOTIFY comes back. */
    forget(keyId) {
      entries.delete(keyId);
    },
    async start() {
      await listen();
    },
    async stop() {
      stopped = true;
      clearTimeout(retry);
      listening = false;
      await listener?.end().catch(() => {});
    },
  };
}
