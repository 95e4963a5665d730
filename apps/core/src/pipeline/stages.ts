// The call pipeline's stages: each a function from one stream to another, bound to one call's
// provider (its URL, the call UUID, the timeouts), so a session composes them and a test runs
// each alone against an HTTP peer.
//
//   stt(caller audio, signal) -> final transcripts     one request for the whole call
//   llm(turn, signal)         -> the reply's events    one request per reply
//   tts(text, signal)         -> PCM s16le 8 kHz       one request per sentence
//
// Cancelling: aborting `signal` closes the stage's HTTP request and ends its iteration quietly
// (barge-in and hang-up are not failures) — unless the abort's reason is a ProviderError (a
// reply's deadline, the audio feed's cap): then the stage fails with it, so the session handles
// every failure in one place. Any other failure is a ProviderError naming the provider and why.
import type { ClientRequest, IncomingMessage } from "node:http";
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
import type { TAddressGuard } from "../address-guard.ts";
import { Channel, type TFlow, type TFlowable } from "./channel.ts";
import { ProviderError, providerRequest, stoppedBy, type TTimeouts } from "./provider-clients.ts";
import { ProviderStream, type TDecoder } from "./provider-stream.ts";

/** `audio`: any stream of caller PCM; one that can flow (AudioFeed) is read without a promise per batch. */
export type TStt = (audio: TFlowable<Buffer>, signal: AbortSignal) => AsyncIterable<string>;
export type TLlm = (turn: TPromptRequest, signal: AbortSignal) => AsyncIterable<TLlmEvent>;
export type TTts = (text: string, signal: AbortSignal) => AsyncIterable<Buffer>;

/**
 * One call's provider: where it is, which call speaks, how long to wait, and the address guard
 * its connections pass when it is tenant-given (a URL-type profile; none for the platform's own).
 */
export type TProviderTarget = { url: string; uuid: string; timeouts: TTimeouts; guard?: TAddressGuard | undefined };

/**
 * Transcripts waiting for the session before the ASR's response is paused (TCP pushes back on
 * the ASR). The session takes each at once, so this is only reached by an ASR that floods.
 */
export const MAX_WAITING_TRANSCRIPTS = 16;

/**
 * ASR: the caller's audio goes up as one chunked request body for the whole call, pulled from
 * `audio` only as fast as the ASR reads it; each chunk that comes back is one final transcript.
 * The stage ends when the ASR ends its response. When `audio` ends (the call hung up), the body
 * ends and the ASR has `responseMs` to send its last transcripts and end the response: the
 * connection then goes back to the keep-alive pool for the next call, instead of being torn down
 * (a new TCP connection, and an AbortError with its stack trace, per call).
 */
export function createStt(target: TProviderTarget): TStt {
  return async function* stt(audio, signal) {
    if (stoppedBy(signal)) return;
    const { req, response } = providerRequest(
      "asr",
      new URL(ASR_PATH, target.url).href,
      target.guard,
      { "content-type": PCM_CONTENT_TYPE, "transfer-encoding": "chunked", [UUID_HEADER]: target.uuid },
      // The response stays quiet while the caller is silent: only the headers are timed.
      { responseMs: target.timeouts.responseMs, idleMs: 0 },
      signal,
    );
    req.flushHeaders();
    const transcripts = new Channel<string>();
    const onAbort = () => transcripts.fail(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    const uploading = upload(req, audio, target.timeouts.idleMs);
    let closing: NodeJS.Timeout | undefined;
    let over = false;
    uploading.done.then(
      () => {
        if (over || req.destroyed) return;
        const { responseMs } = target.timeouts;
        closing = setTimeout(() => {
          transcripts.fail(new ProviderError("asr", `did not end its response within ${responseMs} ms of the audio's end`));
        }, responseMs);
      },
      (err: unknown) => {
        transcripts.fail(err);
        req.destroy();
      },
    );
    response.then(
      (res) => readTranscripts(res, transcripts),
      (err: unknown) => transcripts.fail(err),
    );
    try {
      for await (const text of transcripts) {
        if (stoppedBy(signal)) return;
        yield text;
      }
    } catch (err) {
      if (stoppedBy(signal)) return;
      throw err instanceof ProviderError ? err : new ProviderError("asr", String(err));
    } finally {
      over = true;
      clearTimeout(closing);
      signal.removeEventListener("abort", onAbort);
      // Tells the ASR to stop — unless both bodies are whole: Node has then already handed the
      // connection back to the keep-alive pool, and this does nothing.
      req.destroy();
      uploading.stop();
    }
  };
}

/**
 * Sends the caller's audio as the ASR reads it: when the request's buffer is full, no more is
 * taken until 'drain' (what waits meanwhile is the source's, under its cap). An ASR that reads
 * nothing for `idleMs` fails the stage. `stop` ends the upload when the stage ends.
 */
function upload(req: ClientRequest, audio: TFlowable<Buffer>, idleMs: number): { done: Promise<void>; stop(): void } {
  if (audio.flow) return uploadFlowing(req, audio.flow.bind(audio), idleMs);
  const source = audio[Symbol.asyncIterator]();
  const done = (async () => {
    for (;;) {
      const next = await source.next();
      if (next.done || req.destroyed) break;
      if (!req.write(next.value)) await drained(req, idleMs);
    }
    if (!req.destroyed) req.end();
  })();
  // Wakes an upload waiting for audio, so it sees the request gone and stops.
  return { done, stop: () => void Promise.resolve(source.return?.()).catch(() => {}) };
}

/** The same, batch by batch as the source is pushed: no promise per batch (see Channel.flow). */
function uploadFlowing(
  req: ClientRequest,
  flow: NonNullable<TFlowable<Buffer>["flow"]>,
  idleMs: number,
): { done: Promise<void>; stop(): void } {
  let stall: NodeJS.Timeout | undefined;
  let flowing: TFlow | undefined;
  let settle: (err?: unknown) => void = () => {};
  const done = new Promise<void>((resolve, reject) => {
    settle = (err) => {
      clearTimeout(stall);
      req.off("drain", onDrain);
      req.off("close", onClose);
      flowing?.stop();
      if (err) reject(err);
      else resolve();
    };
  });
  const onDrain = () => {
    clearTimeout(stall);
    flowing?.resume();
  };
  const onClose = () => settle(); // aborted or failed: the stage says why
  req.on("drain", onDrain);
  req.on("close", onClose);
  flowing = flow({
    take(pcm) {
      if (req.destroyed) return false;
      if (req.write(pcm)) return true;
      stall = setTimeout(() => settle(new ProviderError("asr", `read none of the caller's audio for ${idleMs} ms`)), idleMs);
      return false;
    },
    end(err) {
      if (!err && !req.destroyed) req.end();
      settle(err);
    },
  });
  return { done, stop: () => settle() };
}

function drained(req: ClientRequest, idleMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const settle = (err?: ProviderError) => {
      clearTimeout(timer);
      req.off("drain", onDrain);
      req.off("close", onDrain);
      if (err) reject(err);
      else resolve();
    };
    const onDrain = () => settle();
    const timer = setTimeout(() => settle(new ProviderError("asr", `read none of the caller's audio for ${idleMs} ms`)), idleMs);
    req.on("drain", onDrain);
    req.on("close", onDrain); // aborted or failed: the upload loop sees it and stops
  });
}

/**
 * Each chunk of the ASR's response is one transcript (newlines also separate them). 'data'
 * events, not the async iterator: the iterator would glue together transcripts that arrive in
 * one TCP read.
 */
function readTranscripts(res: IncomingMessage, into: Channel<string>): void {
  into.onTake = () => {
    if (res.isPaused() && into.size < MAX_WAITING_TRANSCRIPTS) res.resume();
  };
  res.on("data", (chunk: Buffer) => {
    for (const line of chunk.toString("utf8").split("\n")) {
      const text = line.trim();
      if (text) into.push(text);
    }
    if (into.size >= MAX_WAITING_TRANSCRIPTS) res.pause();
  });
  res.on("error", (err) => into.fail(err instanceof ProviderError ? err : new ProviderError("asr", `stream broke: ${err.message}`)));
  res.on("end", () => into.end());
  // Without 'end' or 'error' first (a connection cut mid-stream): still a failure, not an end.
  res.on("close", () => into.fail(new ProviderError("asr", "stream closed")));
}

/** LLM: the reply's events (text, tool calls) as they stream in. */
export function createLlm(target: TProviderTarget & { agentId: string }): TLlm {
  const url = new URL(LLM_PATH, target.url).href;
  const headers = { "content-type": "application/json", [UUID_HEADER]: target.uuid, [AGENT_HEADER]: target.agentId };
  return (turn, signal) =>
    new ProviderStream(
      "llm",
      () => providerRequest("llm", url, target.guard, headers, target.timeouts, undefined, JSON.stringify(turn)),
      llmEvents(),
      signal,
      target.timeouts.idleMs,
    );
}

/** The AVR LLM stream: JSON objects back to back, each one event; anything else fails the reply. */
function llmEvents(): TDecoder<TLlmEvent> {
  const parser = new JsonObjectStream();
  return {
    push(chunk, emit) {
      let objects: unknown[];
      try {
        objects = parser.push(chunk.toString("utf8"));
      } catch (err) {
        throw new ProviderError("llm", err instanceof JsonStreamError ? err.message : String(err));
      }
      for (const object of objects) {
        const event = ZLlmEventSchema.safeParse(object);
        if (!event.success) throw new ProviderError("llm", `unexpected event ${JSON.stringify(object).slice(0, 120)}`);
        emit(event.data);
      }
    },
    end() {
      if (!parser.complete) throw new ProviderError("llm", "stream ended inside a JSON object");
    },
  };
}

/** TTS: PCM s16le 8 kHz as it is synthesized, chunk by chunk as it arrives. */
export function createTts(target: TProviderTarget): TTts {
  const url = new URL(TTS_PATH, target.url).href;
  const headers = { "content-type": "application/json", [UUID_HEADER]: target.uuid };
  return (text, signal) =>
    new ProviderStream(
      "tts",
      () => providerRequest("tts", url, target.guard, headers, target.timeouts, undefined, JSON.stringify({ text })),
      AUDIO_AS_IT_COMES,
      signal,
      target.timeouts.idleMs,
    );
}

const AUDIO_AS_IT_COMES: TDecoder<Buffer> = {
  push: (chunk, emit) => emit(chunk),
  end() {},
};
