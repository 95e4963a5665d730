// The HTTP layer under the pipeline's stages (stages.ts): one request to an AVR provider. Every
// wait is bounded (a provider that hangs, answers 500 or streams garbage fails that request only,
// with a ProviderError saying which provider and why), and every request can be aborted
// (barge-in, hang-up).
import { type ClientRequest, Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";

export type TProviderKind = "asr" | "llm" | "tts";

export class ProviderError extends Error {
  constructor(
    readonly provider: TProviderKind,
    message: string,
  ) {
    super(`${provider}: ${message}`);
  }
}

// Many calls share connections to the same provider service.
const agent = new HttpAgent({ keepAlive: true, maxSockets: 2_048 });

export type TTimeouts = {
  /** Until the response headers arrive. */
  responseMs: number;
  /** Longest silence inside a streamed response, and longest the ASR may leave the caller's audio unread. */
  idleMs: number;
};

export type TProviderRequest = { req: ClientRequest; response: Promise<IncomingMessage> };

/**
 * POSTs to a provider; `response` resolves with a 2xx response (whose stream its reader times:
 * responseChunks). With `body` the request is sent whole, without it the caller streams the body
 * (the ASR's upload). An abort rejects `response` with the AbortError.
 */
export function providerRequest(
  provider: TProviderKind,
  url: string,
  headers: Record<string, string>,
  timeouts: TTimeouts,
  signal: AbortSignal | undefined,
  body?: Buffer | string,
): TProviderRequest {
  const req = httpRequest(url, { method: "POST", headers, agent, signal });
  const response = new Promise<IncomingMessage>((resolve, reject) => {
    const timer = setTimeout(
      () => req.destroy(new ProviderError(provider, `no response within ${timeouts.responseMs} ms`)),
      timeouts.responseMs,
    );
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
  if (body !== undefined) req.end(body);
  return { req, response };
}

/**
 * The response body as it arrives; a broken stream becomes a ProviderError, and so does a
 * provider that sends nothing for `idleMs` while the reader waits for it. Only then: a reader that
 * stops pulling (a reply waiting for room in the call's outbound queue) is not a stalled provider.
 */
export async function* responseChunks(provider: TProviderKind, res: IncomingMessage, idleMs: number): AsyncGenerator<Buffer> {
  const chunks = (res as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  try {
    for (;;) {
      const stalled = setTimeout(() => res.destroy(new ProviderError(provider, `stream stalled for ${idleMs} ms`)), idleMs);
      let next: IteratorResult<Buffer>;
      try {
        next = await chunks.next();
      } finally {
        clearTimeout(stalled);
      }
      if (next.done) return;
      yield next.value;
    }
  } catch (err) {
    throw err instanceof ProviderError ? err : new ProviderError(provider, `stream broke: ${(err as Error).message}`);
  } finally {
    // Stopped early (barge-in, a failure further down): the response is given up.
    await chunks.return?.();
  }
}
