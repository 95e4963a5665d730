// Clients of the AVR provider contracts. Every request carries the call UUID; every wait is
// bounded (a provider that hangs, answers 500 or streams garbage fails that turn only, with a
// ProviderError saying which provider and why), and every request can be aborted (barge-in).
import { type ClientRequest, Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import {
  AGENT_HEADER,
  ASR_PATH,
  JsonObjectStream,
  JsonStreamError,
  LLM_PATH,
  PCM_CONTENT_TYPE,
  type TLlmEvent,
  type TPromptRequest,
  TTS_PATH,
  UUID_HEADER,
  ZLlmEventSchema,
} from "@dsai/contracts";

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
  /** Longest silence inside a streamed response. */
  idleMs: number;
};

function post(
  provider: TProviderKind,
  url: string,
  headers: Record<string, string>,
  timeouts: TTimeouts,
  signal: AbortSignal | undefined,
  body?: Buffer | string,
): { req: ClientRequest; response: Promise<IncomingMessage> } {
  const req = httpRequest(url, { method: "POST", headers, agent, signal });
  const response = new Promise<IncomingMessage>((resolve, reject) => {
    const timer = setTimeout(
      () => req.destroy(new ProviderError(provider, `no response within ${timeouts.responseMs} ms`)),
      timeouts.responseMs,
    );
    req.on("response", (res) => {
      clearTimeout(timer);
      res.setTimeout(timeouts.idleMs, () => res.destroy(new ProviderError(provider, `stream stalled for ${timeouts.idleMs} ms`)));
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

async function* chunks(provider: TProviderKind, res: IncomingMessage): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of res as AsyncIterable<Buffer>) yield chunk;
  } catch (err) {
    throw err instanceof ProviderError ? err : new ProviderError(provider, `stream broke: ${(err as Error).message}`);
  }
}

/** LLM: the reply's events as they stream in. */
export async function* promptStream(
  url: string,
  prompt: TPromptRequest,
  options: { agentId: string; timeouts: TTimeouts; signal?: AbortSignal },
): AsyncGenerator<TLlmEvent> {
  const { response } = post(
    "llm",
    new URL(LLM_PATH, url).href,
    { "content-type": "application/json", [UUID_HEADER]: prompt.uuid, [AGENT_HEADER]: options.agentId },
    options.timeouts,
    options.signal,
    JSON.stringify(prompt),
  );
  const parser = new JsonObjectStream();
  for await (const chunk of chunks("llm", await response)) {
    let objects: unknown[];
    try {
      objects = parser.push(chunk.toString("utf8"));
    } catch (err) {
      throw new ProviderError("llm", err instanceof JsonStreamError ? err.message : String(err));
    }
    for (const object of objects) {
      const event = ZLlmEventSchema.safeParse(object);
      if (!event.success) throw new ProviderError("llm", `unexpected event ${JSON.stringify(object).slice(0, 120)}`);
      yield event.data;
    }
  }
  if (!parser.complete) throw new ProviderError("llm", "stream ended inside a JSON object");
}

/** TTS: PCM s16le 8 kHz as it is synthesized. */
export async function* speechStream(
  url: string,
  text: string,
  options: { uuid: string; timeouts: TTimeouts; signal?: AbortSignal },
): AsyncGenerator<Buffer> {
  const { response } = post(
    "tts",
    new URL(TTS_PATH, url).href,
    { "content-type": "application/json", [UUID_HEADER]: options.uuid },
    options.timeouts,
    options.signal,
    JSON.stringify({ text }),
  );
  yield* chunks("tts", await response);
}

export type TAsrStream = {
  /** Caller audio, as it arrives (never blocks: the socket buffers, up to MAX_ASR_BACKLOG_BYTES). */
  write(pcm: Buffer): void;
  close(): void;
};

/**
 * Caller audio an ASR may leave unread before it counts as stalled: 64 KiB is 4 s of 8 kHz PCM16
 * beyond what the kernel's socket buffers hold. Audio is real time: it cannot wait for `drain`,
 * and a stalled ASR must not grow the core's memory — the stream fails and is reopened.
 */
export const MAX_ASR_BACKLOG_BYTES = 64 * 1024;

/**
 * ASR: one long-lived request per call. Caller audio goes up as a chunked body; each text chunk
 * that comes back is one final transcript.
 */
export function openAsrStream(
  url: string,
  options: { uuid: string; timeouts: TTimeouts; onTranscript(text: string): void; onError(err: ProviderError): void },
): TAsrStream {
  const { req, response } = post(
    "asr",
    new URL(ASR_PATH, url).href,
    { "content-type": PCM_CONTENT_TYPE, "transfer-encoding": "chunked", [UUID_HEADER]: options.uuid },
    // The response stays quiet while the caller is silent: only the headers are timed.
    { responseMs: options.timeouts.responseMs, idleMs: 0 },
    undefined,
  );
  let closed = false;
  req.flushHeaders();
  response.then(
    (res) => {
      // 'data' events, not an async iterator: the iterator would glue together transcripts that
      // arrive in one TCP read. A chunk is one transcript; newlines also separate them.
      res.on("data", (chunk: Buffer) => {
        if (closed) return;
        for (const line of chunk.toString("utf8").split("\n")) {
          const text = line.trim();
          if (text) options.onTranscript(text);
        }
      });
      res.on("error", (err) => {
        if (!closed) options.onError(new ProviderError("asr", `stream broke: ${err.message}`));
      });
      res.on("end", () => {
        if (!closed) options.onError(new ProviderError("asr", "stream ended before the call"));
      });
    },
    (err: ProviderError) => {
      if (!closed) options.onError(err instanceof ProviderError ? err : new ProviderError("asr", String(err)));
    },
  );
  return {
    write(pcm) {
      if (closed || req.destroyed) return;
      if (req.writableLength + pcm.length > MAX_ASR_BACKLOG_BYTES) {
        closed = true;
        req.destroy();
        options.onError(new ProviderError("asr", `stopped reading the caller's audio (over ${MAX_ASR_BACKLOG_BYTES / 1024} KiB unread)`));
        return;
      }
      req.write(pcm);
    },
    close() {
      if (closed) return;
      closed = true;
      req.destroy();
    },
  };
}
