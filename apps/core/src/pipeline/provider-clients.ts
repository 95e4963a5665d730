// The HTTP layer under the pipeline's stages (stages.ts): one request to an AVR provider. Every
// wait is bounded (a provider that hangs, answers 500 or streams garbage fails that request only,
// with a ProviderError saying which provider and why), and every request can be aborted
// (barge-in, hang-up). A tenant-given (URL-type) provider is reached through the address guard:
// public addresses only, unless the core allows internal ones.
import { type ClientRequest, Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import type { TAddressGuard } from "../address-guard.ts";

export type TProviderKind = "asr" | "llm" | "tts";

export class ProviderError extends Error {
  constructor(
    readonly provider: TProviderKind,
    message: string,
  ) {
    super(`${provider}: ${message}`);
  }
}

/** True when `signal` stopped the stage quietly; throws the abort's reason when that is a failure. */
export function stoppedBy(signal: AbortSignal): boolean {
  if (!signal.aborted) return false;
  if (signal.reason instanceof ProviderError) throw signal.reason;
  return true;
}

// Many calls share connections to the same provider service. A guarded provider's connections
// are pooled apart: each was opened through the guard's lookup, so a connection the pool lends
// again was checked, and one to the platform's own providers is never lent to a tenant-given URL
// that names the same host and port.
const POOL = { keepAlive: true, maxSockets: 2_048 };
const agents = { "http:": new HttpAgent(POOL), "https:": new HttpsAgent(POOL) };
const guardedAgents = { "http:": new HttpAgent(POOL), "https:": new HttpsAgent(POOL) };

export type TTimeouts = {
  /** Until the response headers arrive. */
  responseMs: number;
  /** Longest silence inside a streamed response, and longest the ASR may leave the caller's audio unread. */
  idleMs: number;
};

export type TProviderRequest = { req: ClientRequest; response: Promise<IncomingMessage> };

/**
 * POSTs to a provider; `response` resolves with a 2xx response (whose stream its reader times:
 * ProviderStream, the stt stage). With `body` the request is sent whole, without it the caller
 * streams the body (the ASR's upload). Aborting `signal` closes the request and rejects
 * `response` with the abort's reason. The signal is watched here rather than given to
 * http.request, which would watch it with a listener on each of the request's ends besides.
 *
 * With a `guard` (a tenant-given provider) the request is refused — a ProviderError, thrown here
 * for an internal IP literal, the request's error for a name — before a connection is opened.
 */
export function providerRequest(
  provider: TProviderKind,
  url: string,
  guard: TAddressGuard | undefined,
  headers: Record<string, string>,
  timeouts: TTimeouts,
  signal: AbortSignal | undefined,
  body?: Buffer | string,
): TProviderRequest {
  const target = new URL(url);
  const secure = target.protocol === "https:";
  let req: ClientRequest;
  if (guard) {
    const refusal = guard.refusal(target);
    if (refusal) throw new ProviderError(provider, refusal);
    req = (secure ? httpsRequest : httpRequest)(target, {
      method: "POST",
      headers,
      agent: guardedAgents[secure ? "https:" : "http:"],
      lookup: guard.lookup,
    });
  } else {
    req = (secure ? httpsRequest : httpRequest)(target, { method: "POST", headers, agent: agents[secure ? "https:" : "http:"] });
  }
  const onAbort = () => req.destroy(signal?.reason instanceof Error ? signal.reason : new Error("aborted"));
  const timer = setTimeout(
    () => req.destroy(new ProviderError(provider, `no response within ${timeouts.responseMs} ms`)),
    timeouts.responseMs,
  );
  const response = new Promise<IncomingMessage>((resolve, reject) => {
    req.on("response", (res) => {
      clearTimeout(timer);
      if ((res.statusCode ?? 0) >= 300) {
        res.resume();
        reject(new ProviderError(provider, `answered HTTP ${res.statusCode}`));
        return;
      }
      resolve(res);
    });
    req.on("error", (err) => {
      clearTimeout(timer);
      reject(err instanceof ProviderError || signal?.aborted ? err : new ProviderError(provider, err.message));
    });
  });
  req.once("close", () => {
    clearTimeout(timer); // destroyed without an error (a reader that gave up) emits none
    signal?.removeEventListener("abort", onAbort);
  });
  if (signal?.aborted) onAbort();
  else signal?.addEventListener("abort", onAbort, { once: true });
  if (body !== undefined) req.end(body);
  return { req, response };
}
