// One call in pipeline mode: caller audio -> ASR (streaming) -> LLM (streaming, full history)
// -> sentence splitter -> TTS -> paced outbound audio. A greeting opens the call; DTMF digits
// reach the LLM as user messages; the caller speaking over the agent aborts the reply (barge-in).
// Provider failures degrade this call only: the turn ends with a spoken apology where possible.
import type { TChatMessage } from "@dsai/contracts";
import { OutboundAudio } from "../audiosocket/outbound-audio.ts";
import type { TCallSession, THangupCause } from "../audiosocket/server.ts";
import type { TMetrics } from "../metrics.ts";
import { openAsrStream, ProviderError, promptStream, speechStream, type TAsrStream, type TTimeouts } from "../pipeline/provider-clients.ts";
import { toTelephonyRate } from "../pipeline/resample.ts";
import { SentenceSplitter } from "../pipeline/sentence-splitter.ts";
import { DEFAULT_VAD, type TVadOptions, VoiceActivity } from "../pipeline/vad.ts";
import type { TCallEventInput, TCallOutcome } from "./types.ts";

export type TPipelineAgent = {
  id: string;
  greeting: string;
  prompt: string;
  providers: { asr: string; llm: string; tts: string };
};

export type TPipelineOptions = {
  uuid: string;
  agent: TPipelineAgent;
  metrics: TMetrics;
  timeouts: TTimeouts;
  /** Longest a reply may take from the caller's words to its last sentence. */
  turnTimeoutMs: number;
  vad?: TVadOptions;
  apology?: string;
  recordEvent(event: TCallEventInput): void;
  log(message: string): void;
  /** The call ended (once), with what the core must record. */
  onEnded(outcome: TCallOutcome): void;
};

/**
 * Caller audio goes to the ASR in 100 ms batches (one HTTP chunk instead of five: forwarding
 * every 20 ms frame was the core's largest CPU cost), except in the moments after the caller
 * stops speaking, when the ASR is deciding that the utterance ended and every frame counts.
 */
const ASR_BATCH_FRAMES = 5;
const ASR_PROMPT_AFTER_VOICE_MS = 800;

const APOLOGY = "Sorry, I am having trouble right now. Please try again in a moment.";
const ASR_REOPENS = 3;
/** Messages sent to the LLM at most (the contract allows 1,000). */
const MAX_HISTORY = 200;

type TTurn = { id: number; abort: AbortController; speechEndedAt: number | undefined };

export function createPipelineSession(o: TPipelineOptions): TCallSession {
  const outbound = new OutboundAudio();
  const history: TChatMessage[] = o.agent.prompt ? [{ role: "system", content: o.agent.prompt }] : [];
  let hangup: (() => void) | undefined;
  let turn: TTurn | undefined;
  let turns = 0;
  let ended = false;
  let asr: TAsrStream | undefined;
  let asrFailures = 0;
  let asrBatch: Buffer[] = [];
  let pendingTool: { name: "hangup" | "transfer"; target?: string } | undefined;
  let transferTarget: string | undefined;
  const answeredAt = new Date();
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
      if (!outbound.idle) {
        turn?.abort.abort();
        turn = undefined;
        outbound.clear();
        pendingTool = undefined;
        o.metrics.interruptions.inc();
        o.recordEvent({ kind: "interruption" });
      }
    },
  });

  function fail(provider: string, err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    o.metrics.providerErrors.inc({ provider });
    o.recordEvent({ kind: "error", text: message, data: { provider } });
    o.log(`provider error: ${message}`);
  }

  function openAsr(): void {
    asr = openAsrStream(o.agent.providers.asr, {
      uuid: o.uuid,
      timeouts: o.timeouts,
      onTranscript(text) {
        o.recordEvent({ kind: "transcript", role: "user", text });
        void respond(text, vad.lastVoiceAt || undefined);
      },
      onError(err) {
        if (ended) return;
        fail("asr", err);
        asr?.close();
        // Keep listening if the ASR comes back; DTMF still works meanwhile.
        if (++asrFailures <= ASR_REOPENS) setTimeout(() => !ended && openAsr(), 200 * asrFailures).unref();
      },
    });
  }

  /**
   * A new reply: it replaces one still being prepared, and the caller speaking over it (barge-in)
   * or the call ending cancels it — its LLM and TTS requests included. The greeting and the
   * apology are replies too.
   */
  function newTurn(speechEndedAt: number | undefined): TTurn {
    turn?.abort.abort();
    const t: TTurn = { id: ++turns, abort: new AbortController(), speechEndedAt };
    turn = t;
    return t;
  }

  /** Synthesizes `text` into the outbound queue; resolves when the audio is queued (or the turn is cancelled). */
  async function say(text: string, t: TTurn, onFirstAudio?: () => void): Promise<void> {
    const started = performance.now();
    let first = true;
    for await (const pcm of speechStream(o.agent.providers.tts, text, { uuid: o.uuid, timeouts: o.timeouts, signal: t.abort.signal })) {
      if (ended || t.abort.signal.aborted) return;
      if (first) {
        first = false;
        o.metrics.providerLatency.observe({ provider: "tts" }, performance.now() - started);
        onFirstAudio?.();
      }
      outbound.enqueue(pcm);
    }
  }

  /** One reply: the LLM's stream, cut into sentences, each spoken as soon as it is complete. */
  async function respond(message: string, speechEndedAt: number | undefined): Promise<void> {
    if (ended) return;
    const t = newTurn(speechEndedAt);
    const timeout = setTimeout(() => t.abort.abort(new ProviderError("llm", `reply took over ${o.turnTimeoutMs} ms`)), o.turnTimeoutMs);
    const latency: Record<string, number> = {};
    const since = (from: number | undefined) => (from === undefined ? undefined : Math.round(performance.now() - from));
    if (speechEndedAt !== undefined) latency.asrMs = since(speechEndedAt) ?? 0;
    const llmStarted = performance.now();
    history.push({ role: "user", content: message });
    // A very long call keeps its system prompt and the latest turns (providers cap the list).
    if (history.length > MAX_HISTORY) history.splice(history[0]?.role === "system" ? 1 : 0, history.length - MAX_HISTORY);
    const splitter = new SentenceSplitter();
    let speaking: Promise<void> = Promise.resolve();
    let reply = "";
    let firstAudio = true;
    const queueSentence = (sentence: string) => {
      speaking = speaking.then(() =>
        say(sentence, t, () => {
          if (!firstAudio) return;
          firstAudio = false;
          latency.ttsFirstAudioMs = since(llmStarted) ?? 0;
          outbound.onAudibleFrame = () => {
            if (speechEndedAt === undefined) return;
            const total = performance.now() - speechEndedAt;
            latency.replyMs = Math.round(total);
            o.metrics.replyLatency.observe({}, total);
          };
        }),
      );
    };
    try {
      for await (const event of promptStream(
        o.agent.providers.llm,
        { uuid: o.uuid, message, messages: history },
        { agentId: o.agent.id, timeouts: o.timeouts, signal: t.abort.signal },
      )) {
        if (t.abort.signal.aborted) break;
        if (event.type === "text") {
          if (reply === "") {
            latency.llmFirstTextMs = since(llmStarted) ?? 0;
            o.metrics.providerLatency.observe({ provider: "llm" }, performance.now() - llmStarted);
          }
          reply += event.content;
          for (const sentence of splitter.push(event.content)) queueSentence(sentence);
        } else if (event.type === "tool") {
          pendingTool = event.name === "transfer" ? { name: "transfer", target: event.arguments?.target ?? "" } : { name: "hangup" };
          o.recordEvent({ kind: "tool", text: event.name, data: event.arguments ?? {} });
        }
      }
      for (const sentence of splitter.flush()) queueSentence(sentence);
      await speaking;
    } catch (err) {
      if (t.abort.signal.aborted && !(t.abort.signal.reason instanceof ProviderError)) return; // barge-in or hang-up
      const cause = t.abort.signal.reason instanceof ProviderError ? t.abort.signal.reason : err;
      fail(cause instanceof ProviderError ? cause.provider : "llm", cause);
      if (!(cause instanceof ProviderError && cause.provider === "tts") && !ended) {
        const apology = newTurn(undefined);
        await say(o.apology ?? APOLOGY, apology).catch((e: unknown) => apology.abort.signal.aborted || fail("tts", e));
        if (turn === apology) turn = undefined;
      }
    } finally {
      clearTimeout(timeout);
    }
    if (t.abort.signal.aborted || ended) return;
    if (reply) {
      history.push({ role: "assistant", content: reply });
      o.recordEvent({ kind: "transcript", role: "agent", text: reply });
    }
    o.recordEvent({ kind: "latency", data: latency });
    if (turn === t) turn = undefined;
    const tool = pendingTool;
    pendingTool = undefined;
    if (tool) {
      await drained(); // let the caller hear the goodbye first
      if (ended) return;
      if (tool.name === "transfer") transferTarget = tool.target;
      hangup?.();
    }
  }

  return {
    outbound,
    onAudio(frame, sampleRate) {
      if (ended) return;
      const pcm = toTelephonyRate(frame, sampleRate);
      const now = performance.now();
      vad.push(pcm, now);
      asrBatch.push(pcm);
      const endOfUtterance = !vad.lastFrameVoiced && vad.lastVoiceAt > 0 && now - vad.lastVoiceAt < ASR_PROMPT_AFTER_VOICE_MS;
      if (endOfUtterance || asrBatch.length >= ASR_BATCH_FRAMES) {
        asr?.write(asrBatch.length === 1 ? (asrBatch[0] as Buffer) : Buffer.concat(asrBatch));
        asrBatch = [];
      }
    },
    onDtmf(digit) {
      if (ended) return;
      o.recordEvent({ kind: "dtmf", text: digit });
      void respond(`DTMF ${digit}`, undefined);
    },
    bindHangup(fn) {
      hangup = fn;
      openAsr();
      if (o.agent.greeting) {
        o.recordEvent({ kind: "transcript", role: "agent", text: o.agent.greeting });
        history.push({ role: "assistant", content: o.agent.greeting });
        const greeting = newTurn(undefined);
        say(o.agent.greeting, greeting)
          .catch((err: unknown) => greeting.abort.signal.aborted || fail("tts", err))
          .finally(() => {
            if (turn === greeting) turn = undefined;
          });
      }
    },
    onEnd(cause: THangupCause, detail?: string) {
      if (ended) return;
      ended = true;
      turn?.abort.abort();
      asr?.close();
      outbound.clear();
      for (const w of drainedWaiters) w();
      drainedWaiters = [];
      if (detail) o.log(`call ended: ${cause} (${detail})`);
      o.onEnded({ cause: transferTarget !== undefined ? "transfer" : cause, answeredAt, endedAt: new Date(), transferTarget });
    },
  };
}
