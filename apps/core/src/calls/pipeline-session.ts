// One call in pipeline mode, as two pipelines of stream stages (src/pipeline/stages.ts):
//
//   listening, for the whole call:  caller audio -> AudioFeed -> stt -> transcripts
//   each reply:                      llm(turn) -> sentences -> tts(sentence) -> outbound (paced)
//
// A transcript or a DTMF digit starts a reply. Each reply owns an AbortController: a newer reply,
// the caller speaking over it (barge-in), its deadline and the end of the call abort it, and with
// it every request it made. The greeting and the apology are replies too. Provider failures
// degrade this call only: a reply ends with a spoken apology where possible, a lost ASR is reopened.
// The hang-up ends the caller's audio rather than aborting the ASR: it ends its stream in turn.
import type { TChatMessage, TLlmEvent } from "@dsai/contracts";
import type { TAddressGuard } from "../address-guard.ts";
import { MAX_QUEUED_MS, OutboundAudio } from "../audiosocket/outbound-audio.ts";
import type { TCallSession, THangupCause } from "../audiosocket/server.ts";
import type { TMetrics } from "../metrics.ts";
import { AudioBatch } from "../pipeline/audio-batch.ts";
import { AudioFeed } from "../pipeline/audio-feed.ts";
import { Channel } from "../pipeline/channel.ts";
import { ProviderError, stoppedBy, type TTimeouts } from "../pipeline/provider-clients.ts";
import { toTelephonyRate } from "../pipeline/resample.ts";
import { SentenceSplitter } from "../pipeline/sentence-splitter.ts";
import { createLlm, createStt, createTts } from "../pipeline/stages.ts";
import { DEFAULT_VAD, type TVadOptions, VoiceActivity } from "../pipeline/vad.ts";
import type { TCallEventInput, TCallOutcome } from "./types.ts";

/**
 * Where a provider is, and the address guard its connections pass: set for a tenant-given
 * (URL-type) profile unless the core allows internal addresses, never for the platform's own
 * providers (images on the tenant's network).
 */
export type TProviderEndpoint = { url: string; guard: TAddressGuard | undefined };

export type TPipelineAgent = {
  id: string;
  greeting: string;
  prompt: string;
  providers: { asr: TProviderEndpoint; llm: TProviderEndpoint; tts: TProviderEndpoint };
};

export type TPipelineOptions = {
  uuid: string;
  agent: TPipelineAgent;
  metrics: TMetrics;
  timeouts: TTimeouts;
  /** Longest the LLM may take over a reply, from the caller's words to its last word. */
  turnTimeoutMs: number;
  vad?: TVadOptions;
  apology?: string;
  recordEvent(event: TCallEventInput): void;
  log(message: string): void;
  /** The call ended (once), with what the core must record. */
  onEnded(outcome: TCallOutcome): void;
};

/**
 * Caller audio goes to the ASR in batches — each one is an HTTP chunk, a write and a wake-up of
 * the upload, and forwarding every 20 ms frame was the core's largest CPU cost: 100 ms while the
 * caller speaks, 400 ms while nobody does (the ASR only needs it to keep its clock), and 40 ms in
 * the moments after the caller stops speaking, when the ASR is deciding that the utterance ended
 * — the first quiet frame goes at once, so the ASR hears the end of the speech without delay.
 * Speech starting sends what waits at once.
 */
const ASR_SPEECH_BATCH_FRAMES = 5;
const ASR_SILENCE_BATCH_FRAMES = 20;
const ASR_AFTER_VOICE_BATCH_FRAMES = 2;
const ASR_PROMPT_AFTER_VOICE_MS = 800;

const APOLOGY = "Sorry, I am having trouble right now. Please try again in a moment.";
const ASR_REOPENS = 3;
/** Messages sent to the LLM at most (the contract allows 1,000). */
const MAX_HISTORY = 200;
/** A reply's text at most: the contract's limit on one message, so that it can go back in the history. */
const MAX_REPLY_CHARS = 20_000;

type TTool = { name: "hangup" | "transfer"; target?: string };

/** A reply being prepared or spoken, and what it records once it has been said. */
type TReply = {
  abort: AbortController;
  /** performance.now() when the caller stopped speaking (latency is measured from there). */
  speechEndedAt: number | undefined;
  startedAt: number;
  text: string;
  /** Run once the caller has heard the reply. */
  tool: TTool | undefined;
  latency: Record<string, number>;
};

export function createPipelineSession(o: TPipelineOptions): TCallSession {
  const { providers } = o.agent;
  const stt = createStt({ ...providers.asr, uuid: o.uuid, timeouts: o.timeouts });
  const llm = createLlm({ ...providers.llm, uuid: o.uuid, timeouts: o.timeouts, agentId: o.agent.id });
  const tts = createTts({ ...providers.tts, uuid: o.uuid, timeouts: o.timeouts });
  const outbound = new OutboundAudio();
  const history: TChatMessage[] = o.agent.prompt ? [{ role: "system", content: o.agent.prompt }] : [];
  const answeredAt = new Date();
  let ended = false;
  let hangup: (() => void) | undefined;
  let transferTarget: string | undefined;
  /** The reply being prepared or spoken: at most one. */
  let current: TReply | undefined;
  /** Where caller audio goes while an ASR stream is open (none between reopens). */
  let listening: { feed: AudioFeed; stop: AbortController } | undefined;
  const asrBatch = new AudioBatch(ASR_SILENCE_BATCH_FRAMES);

  let drainedWaiters: (() => void)[] = [];
  outbound.onDrained = () => {
    const waiters = drainedWaiters;
    drainedWaiters = [];
    for (const w of waiters) w();
  };
  const drained = () => (outbound.idle ? Promise.resolve() : new Promise<void>((r) => drainedWaiters.push(r)));

  const vad = new VoiceActivity(o.vad ?? DEFAULT_VAD, {
    onSpeechStart() {
      // Barge-in: the caller talks over the agent.
      if (outbound.idle) return;
      current?.abort.abort();
      current = undefined;
      outbound.clear();
      o.metrics.interruptions.inc();
      o.recordEvent({ kind: "interruption" });
    },
  });

  function fail(provider: string, err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    o.metrics.providerErrors.inc({ provider });
    o.recordEvent({ kind: "error", text: message, data: { provider } });
    o.log(`provider error: ${message}`);
  }

  /** A very long call keeps its system prompt and the latest turns (providers cap the list). */
  function remember(message: TChatMessage): void {
    history.push(message);
    if (history.length > MAX_HISTORY) history.splice(history[0]?.role === "system" ? 1 : 0, history.length - MAX_HISTORY);
  }

  /**
   * Listening: caller audio -> stt -> a reply per transcript, for the whole call. A lost ASR
   * (failed, ended, or not reading the caller's audio) is reopened ASR_REOPENS times, after a
   * growing pause; DTMF still works meanwhile.
   */
  async function listen(): Promise<void> {
    for (let failures = 0; !ended; ) {
      const stop = new AbortController();
      // The feed's cap stops the stream at once, even while the upload waits for the ASR to read.
      const feed = new AudioFeed({ onOverflow: (err) => stop.abort(err) });
      listening = { feed, stop };
      try {
        for await (const text of stt(feed, stop.signal)) {
          // After the hang-up the ASR's last words are read only so its connection can be reused:
          // the call's events are already closed.
          if (ended) continue;
          o.recordEvent({ kind: "transcript", role: "user", text });
          void respond(text, vad.lastVoiceAt || undefined);
        }
        if (!ended) throw new ProviderError("asr", "stream ended before the call");
      } catch (err) {
        if (!ended) fail("asr", err);
      } finally {
        listening = undefined;
        feed.close();
      }
      if (ended || ++failures > ASR_REOPENS) return;
      await new Promise((r) => setTimeout(r, 200 * failures).unref());
    }
  }

  /** A new reply replaces the one still being prepared or spoken. */
  function newReply(speechEndedAt: number | undefined): TReply {
    current?.abort.abort();
    const reply: TReply = {
      abort: new AbortController(),
      speechEndedAt,
      startedAt: performance.now(),
      text: "",
      tool: undefined,
      latency: {},
    };
    current = reply;
    return reply;
  }

  /**
   * One reply: llm(turn) -> sentences -> tts(sentence) -> outbound. The LLM is read ahead of the
   * TTS, so it keeps streaming while earlier sentences are synthesized.
   */
  async function respond(message: string, speechEndedAt: number | undefined): Promise<void> {
    if (ended) return;
    const reply = newReply(speechEndedAt);
    const { signal } = reply.abort;
    const deadline = setTimeout(
      () => reply.abort.abort(new ProviderError("llm", `reply took over ${o.turnTimeoutMs} ms`)),
      o.turnTimeoutMs,
    );
    if (speechEndedAt !== undefined) reply.latency.asrMs = Math.round(reply.startedAt - speechEndedAt);
    remember({ role: "user", content: message });
    try {
      // The deadline bounds the LLM, up to its last word; speaking the reply is bounded by the TTS
      // requests' own timeouts and by the caller listening (the outbound queue is capped).
      const events = llm({ uuid: o.uuid, message, messages: history.slice() }, signal);
      const spoken = new Channel<string>();
      void readReply(events, reply, spoken, () => clearTimeout(deadline));
      await speak(spoken, reply);
    } catch (err) {
      if (signal.aborted && !(signal.reason instanceof ProviderError)) return; // a newer reply, barge-in or hang-up
      const cause = signal.reason instanceof ProviderError ? signal.reason : err;
      fail(cause instanceof ProviderError ? cause.provider : "llm", cause);
      // The apology is a reply of its own (it aborts this one); a failed TTS cannot say it.
      if (!(cause instanceof ProviderError && cause.provider === "tts") && !ended) await say(o.apology ?? APOLOGY);
    } finally {
      clearTimeout(deadline);
    }
    if (signal.aborted || ended) return;
    if (reply.text) {
      remember({ role: "assistant", content: reply.text });
      o.recordEvent({ kind: "transcript", role: "agent", text: reply.text });
    }
    o.recordEvent({ kind: "latency", data: reply.latency });
    if (current === reply) current = undefined;
    if (reply.tool) await runTool(reply.tool);
  }

  /**
   * llm events -> the reply's text -> its sentences, into `spoken` as each is complete. Read
   * ahead of the TTS: the LLM goes on streaming while earlier sentences are synthesized (an LLM
   * left unread would hit its idle timeout during a long sentence); what waits is bounded by the
   * reply's text cap. A tool call is kept for when the reply has been heard. `onEnd` runs after
   * the LLM's last word. A failure aborts the reply at once, so the sentence being spoken stops
   * too. One async function per reply, not a generator per step (see ProviderStream).
   */
  async function readReply(events: AsyncIterable<TLlmEvent>, reply: TReply, spoken: Channel<string>, onEnd: () => void): Promise<void> {
    const splitter = new SentenceSplitter();
    try {
      for await (const event of events) {
        if (spoken.done) return; // the reply stopped being spoken
        if (event.type === "text") {
          if (reply.text === "") {
            const ms = performance.now() - reply.startedAt;
            reply.latency.llmFirstTextMs = Math.round(ms);
            o.metrics.providerLatency.observe({ provider: "llm" }, ms);
          }
          reply.text += event.content;
          if (reply.text.length > MAX_REPLY_CHARS) throw new ProviderError("llm", `reply over ${MAX_REPLY_CHARS} characters`);
          for (const sentence of splitter.push(event.content)) spoken.push(sentence);
        } else if (event.type === "tool") {
          reply.tool = event.name === "transfer" ? { name: "transfer", target: event.arguments?.target ?? "" } : { name: "hangup" };
          o.recordEvent({ kind: "tool", text: event.name, data: event.arguments ?? {} });
        }
      }
      onEnd();
      for (const sentence of splitter.flush()) spoken.push(sentence);
      spoken.end();
    } catch (err) {
      reply.abort.abort(err instanceof ProviderError ? err : new ProviderError("llm", String(err)));
      spoken.fail(err);
    }
  }

  /**
   * sentences -> tts -> outbound: each sentence synthesized in turn, its audio queued as it
   * streams. A failed TTS silences the rest of the reply, which is still read to its end: its
   * text and its tool call count (a goodbye the TTS could not say still hangs up).
   */
  async function speak(text: AsyncIterable<string> | Iterable<string>, reply: TReply): Promise<void> {
    const { signal } = reply.abort;
    let ttsFailure: unknown;
    for await (const sentence of text) {
      if (stoppedBy(signal)) return;
      if (ttsFailure !== undefined) continue;
      try {
        await synthesize(sentence, reply);
      } catch (err) {
        if (signal.aborted) throw err;
        ttsFailure = err;
      }
    }
    if (ttsFailure !== undefined) throw ttsFailure;
  }

  /** tts(sentence) -> outbound. */
  async function synthesize(sentence: string, reply: TReply): Promise<void> {
    const requestedAt = performance.now();
    let first = true;
    for await (const pcm of tts(sentence, reply.abort.signal)) {
      if (first) {
        first = false;
        o.metrics.providerLatency.observe({ provider: "tts" }, performance.now() - requestedAt);
        if (reply.latency.ttsFirstAudioMs === undefined) firstAudioQueued(reply);
      }
      if (outbound.queuedMs >= MAX_QUEUED_MS) {
        // A reply far ahead of the caller waits (and so does its TTS stream): the queue is capped.
        await outbound.room();
        if (reply.abort.signal.aborted) return;
      }
      outbound.enqueue(pcm);
    }
  }

  /** The reply's first audio is queued: the reply latency ends when it is sent to the caller. */
  function firstAudioQueued(reply: TReply): void {
    reply.latency.ttsFirstAudioMs = Math.round(performance.now() - reply.startedAt);
    const { speechEndedAt } = reply;
    if (speechEndedAt === undefined) return;
    outbound.onAudibleFrame = () => {
      const total = performance.now() - speechEndedAt;
      reply.latency.replyMs = Math.round(total);
      o.metrics.replyLatency.observe({}, total);
    };
  }

  /** A reply with fixed words (the greeting, the apology): one TTS request, cancellable like any reply. */
  async function say(words: string): Promise<void> {
    const reply = newReply(undefined);
    try {
      await speak([words], reply);
    } catch (err) {
      if (!reply.abort.signal.aborted) fail("tts", err);
    } finally {
      if (current === reply) current = undefined;
    }
  }

  /** hangup / transfer, once the caller has heard the reply (the goodbye first). */
  async function runTool(tool: TTool): Promise<void> {
    await drained();
    if (ended) return;
    if (tool.name === "transfer") transferTarget = tool.target;
    hangup?.();
  }

  return {
    outbound,
    onAudio(frame, sampleRate) {
      if (ended) return;
      const pcm = toTelephonyRate(frame, sampleRate);
      const now = performance.now();
      const wasSpeaking = vad.speaking;
      const lastWasVoiced = vad.lastFrameVoiced;
      vad.push(pcm, now);
      asrBatch.add(pcm);
      const afterVoice = !vad.lastFrameVoiced && vad.lastVoiceAt > 0 && now - vad.lastVoiceAt < ASR_PROMPT_AFTER_VOICE_MS;
      const batchFrames = afterVoice ? ASR_AFTER_VOICE_BATCH_FRAMES : vad.speaking ? ASR_SPEECH_BATCH_FRAMES : ASR_SILENCE_BATCH_FRAMES;
      const speechJustEnded = afterVoice && lastWasVoiced;
      if (speechJustEnded || asrBatch.frames >= batchFrames || vad.speaking !== wasSpeaking) {
        listening?.feed.push(asrBatch.take());
      }
    },
    onDtmf(digit) {
      if (ended) return;
      o.recordEvent({ kind: "dtmf", text: digit });
      void respond(`DTMF ${digit}`, undefined);
    },
    bindHangup(fn) {
      hangup = fn;
      void listen();
      if (o.agent.greeting) {
        o.recordEvent({ kind: "transcript", role: "agent", text: o.agent.greeting });
        remember({ role: "assistant", content: o.agent.greeting });
        void say(o.agent.greeting);
      }
    },
    onEnd(cause: THangupCause, detail?: string) {
      if (ended) return;
      ended = true;
      current?.abort.abort();
      // The ASR is not aborted: the end of its audio ends its stream (within its bound, see stt).
      listening?.feed.close();
      outbound.clear();
      for (const w of drainedWaiters) w();
      drainedWaiters = [];
      if (detail) o.log(`call ended: ${cause} (${detail})`);
      o.onEnded({ cause: transferTarget !== undefined ? "transfer" : cause, answeredAt, endedAt: new Date(), transferTarget });
    },
  };
}
