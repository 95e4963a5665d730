/// <reference path="./ari-client.d.ts" />
// Control of the shared Asterisk through ARI, behind a small interface so the platform never
// depends on ari-client's shape: reload only the modules whose files changed (never a full
// `core reload`), list a tenant's endpoints and live channels, hang up a tenant's channels.
// Connecting retries with exponential backoff; every failure carries Asterisk's own message.
import ari from "ari-client";
import { tenantNames } from "./names.ts";

/** Modules to reload when a tenant file changes. */
export const MODULE_OF_FILE = { "pjsip.conf": "res_pjsip.so", "extensions.conf": "pbx_config.so" } as const;
export type TReloadableModule = (typeof MODULE_OF_FILE)[keyof typeof MODULE_OF_FILE];

export type TEndpoint = { technology: string; resource: string; state: string; channelIds: string[] };
export type TChannel = { id: string; name: string; state: string; caller: string; context: string; createdAt: string };

export type TAsteriskControl = {
  reloadModule(module: TReloadableModule): Promise<void>;
  listTenantEndpoints(slug: string): Promise<TEndpoint[]>;
  /** Channels of the tenant: its PJSIP endpoints' channels, its dialplan's, and AudioSocket legs to its core. */
  listTenantChannels(slug: string, coreAudioSocket?: string): Promise<TChannel[]>;
  hangupTenantChannels(slug: string, coreAudioSocket?: string): Promise<number>;
  close(): Promise<void>;
};

export class AriError extends Error {
  constructor(
    readonly operation: string,
    readonly asteriskMessage: string,
  ) {
    super(`ARI ${operation} failed: ${asteriskMessage}`);
  }
}

export type TControlOptions = {
  /** ARI base URL, e.g. http://172.30.254.10:8088 */
  url: string;
  user: string;
  password: string;
  /** Connection attempts before giving up (unreachable ARI), with exponential backoff. */
  attempts?: number;
  initialDelayMs?: number;
  onRetry?: (attempt: number, error: Error) => void;
};

type TAriClient = {
  asterisk: { reloadModule(o: { moduleName: string }): Promise<void>; getInfo(): Promise<unknown> };
  endpoints: { listByTech(o: { tech: string }): Promise<{ technology: string; resource: string; state: string; channel_ids: string[] }[]> };
  channels: {
    list(): Promise<
      { id: string; name: string; state: string; caller: { number: string }; dialplan: { context: string }; creationtime: string }[]
    >;
    hangup(o: { channelId: string }): Promise<void>;
  };
};

/** ari-client rejects with the response body as the message: take Asterisk's `message` out. */
function asteriskMessage(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    if (typeof parsed.message === "string") return parsed.message;
  } catch {
    // not JSON: a network error, already readable
  }
  return text;
}

/**
 * ari-client's Swagger loader throws from a callback (an uncaught exception, which would bring
 * the whole platform process down) when the listings answer anything but 200 — an Asterisk
 * still booting, or one without its rest-api folder. So ask for them first, and hand over to
 * ari-client only when they are served.
 */
async function apiListingsServed(options: TControlOptions): Promise<void> {
  const url = `${options.url}/ari/api-docs/resources.json`;
  const authorization = `Basic ${Buffer.from(`${options.user}:${options.password}`).toString("base64")}`;
  const response = await fetch(url, { headers: { authorization }, signal: AbortSignal.timeout(5_000) });
  await response.body?.cancel();
  // Wrong credentials will not get better by retrying.
  if (response.status === 401) throw new AriError("connect", `ARI refused the credentials of user ${options.user} (401)`);
  if (!response.ok) throw new Error(`${response.status} from ${url}`);
}

async function connectWithRetry(options: TControlOptions): Promise<TAriClient> {
  const attempts = options.attempts ?? 6;
  let delay = options.initialDelayMs ?? 250;
  let last: Error | undefined;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      await apiListingsServed(options);
      const client = (await ari.connect(options.url, options.user, options.password)) as unknown as TAriClient;
      // The API listings need no credentials: prove them with an authenticated request.
      try {
        await client.asterisk.getInfo();
      } catch (err) {
        throw new AriError("connect", asteriskMessage(err));
      }
      return client;
    } catch (err) {
      // Wrong credentials will not get better by retrying.
      if (err instanceof AriError) throw err;
      last = err instanceof Error ? err : new Error(String(err));
      if (attempt === attempts) break;
      options.onRetry?.(attempt, last);
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 10_000);
    }
  }
  throw new AriError("connect", `${options.url} unreachable after ${attempts} attempts: ${asteriskMessage(last)}`);
}

function belongsToTenant(slug: string, coreAudioSocket: string | undefined) {
  const prefix = `${tenantNames(slug).tenantId}_`;
  return (c: { name: string; dialplan: { context: string } }) =>
    c.dialplan.context.startsWith(prefix) ||
    c.name.startsWith(`PJSIP/${prefix}`) ||
    (coreAudioSocket !== undefined && c.name.startsWith(`AudioSocket/${coreAudioSocket}-`));
}

/** The longest an ARI request may take (a module reload answers in milliseconds). */
const CALL_TIMEOUT_MS = 10_000;

export async function createAsteriskControl(options: TControlOptions): Promise<TAsteriskControl> {
  const client = await connectWithRetry(options);
  const call = async <T>(operation: string, fn: () => Promise<T>): Promise<T> => {
    // ari-client sets no timeout: a connection that stops answering would hang provisioning.
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new AriError(operation, `no answer within ${CALL_TIMEOUT_MS} ms`)), CALL_TIMEOUT_MS);
    });
    try {
      return await Promise.race([fn(), timeout]);
    } catch (err) {
      if (err instanceof AriError) throw err;
      throw new AriError(operation, asteriskMessage(err));
    } finally {
      clearTimeout(timer);
    }
  };
  const tenantChannels = async (slug: string, coreAudioSocket?: string) => {
    const all = await call("list channels", () => client.channels.list());
    return all.filter(belongsToTenant(slug, coreAudioSocket));
  };
  return {
    reloadModule: (module) => call(`reload ${module}`, () => client.asterisk.reloadModule({ moduleName: module })),
    async listTenantEndpoints(slug) {
      const prefix = `${tenantNames(slug).tenantId}_`;
      const all = await call("list endpoints", () => client.endpoints.listByTech({ tech: "PJSIP" }));
      return all
        .filter((e) => e.resource.startsWith(prefix))
        .map((e) => ({ technology: e.technology, resource: e.resource, state: e.state, channelIds: e.channel_ids }));
    },
    async listTenantChannels(slug, coreAudioSocket) {
      return (await tenantChannels(slug, coreAudioSocket)).map((c) => ({
        id: c.id,
        name: c.name,
        state: c.state,
        caller: c.caller.number,
        context: c.dialplan.context,
        createdAt: c.creationtime,
      }));
    },
    async hangupTenantChannels(slug, coreAudioSocket) {
      let count = 0;
      for (const c of await tenantChannels(slug, coreAudioSocket)) {
        try {
          await client.channels.hangup({ channelId: c.id });
          count += 1;
        } catch (err) {
          // A channel that hung up meanwhile is gone, which is what we wanted.
          if (!/Channel not found/.test(asteriskMessage(err))) throw new AriError(`hang up ${c.id}`, asteriskMessage(err));
        }
      }
      return count;
    },
    // Only HTTP requests are made (no event WebSocket is opened), so there is nothing to close.
    close: async () => {},
  };
}
