// The call simulator: opens a call exactly as the generated dialplan does (form-encoded POST
// /calls with the tenant token, then AudioSocket with the UUID it answered), streams the caller's
// audio in real time on a 20 ms grid, records what the agent says and measures how long the
// agent takes to start answering after the caller stops speaking.
import { connect, type Socket } from "node:net";
import { encodeAudio, encodeDtmf, encodeUuid, FrameDecoder, SLIN8_FRAME_BYTES } from "../audiosocket/frame.ts";
import { frameRms } from "../pipeline/vad.ts";

/** A caller's turn: words (PCM) or a DTMF digit. `overAgent` speaks 0.5 s into the agent's next
 * speech instead of waiting for it to finish (barge-in). */
export type TCallerStep = { say: Buffer; label: string; overAgent?: boolean } | { dtmf: string };

export type TSimulateOptions = {
  coreHttpUrl: string;
  audioSocket: { host: string; port: number };
  token: string;
  agent: string;
  number: string;
  caller: string;
  steps: TCallerStep[];
  /** Agent audio louder than this (RMS) counts as speech. */
  audibleRms?: number;
  /** Silence after agent speech that ends its turn. */
  agentTurnEndMs?: number;
  /** Longest wait for the agent to start or finish a turn. */
  turnTimeoutMs?: number;
};

export type TCallSummary = {
  uuid: string;
  refused?: string;
  said: string[];
  /** Per caller utterance: end of caller speech -> first audible agent frame (ms). */
  replyLatencyMs: (number | null)[];
  greetingHeard: boolean;
  framesReceived: number;
  audibleFramesReceived: number;
  hangupCause: "agent_hangup" | "caller_hangup" | "error";
  durationMs: number;
  /** Every agent frame received, in order (8 kHz PCM s16le). */
  agentAudio: Buffer;
};

const SILENCE = Buffer.alloc(SLIN8_FRAME_BYTES);

export async function openCall(o: Pick<TSimulateOptions, "coreHttpUrl" | "token" | "agent" | "number" | "caller">) {
  const res = await fetch(`${o.coreHttpUrl}/calls?token=${encodeURIComponent(o.token)}`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ agent: o.agent, number: o.number, caller: o.caller }).toString(),
  });
  const text = (await res.text()).trim();
  return /^[0-9a-f-]{36}$/.test(text) ? { uuid: text } : { refused: text || `HTTP ${res.status}` };
}

/**
 * The call's transcript from the tenant API (calls.get), once the core has recorded the call's
 * end; needs a tenant API key. Undefined when the record does not appear within `timeoutMs`.
 */
export async function fetchTranscript(
  coreHttpUrl: string,
  apiKey: string,
  uuid: string,
  timeoutMs = 10_000,
): Promise<{ role: string; text: string }[] | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`${coreHttpUrl}/trpc/calls.get?input=${encodeURIComponent(JSON.stringify({ id: uuid }))}`, {
      headers: { authorization: `Bearer ${apiKey}` },
    });
    if (res.status === 401) throw new Error("the tenant API refused the API key");
    if (res.ok) {
      const call = (
        (await res.json()) as { result: { data: { endedAt: string | null; events: { kind: string; role: string; text: string }[] } } }
      ).result.data;
      if (call.endedAt) return call.events.filter((e) => e.kind === "transcript").map((e) => ({ role: e.role, text: e.text }));
    }
    if (Date.now() > deadline) return undefined;
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function simulateCall(o: TSimulateOptions): Promise<TCallSummary> {
  const started = performance.now();
  const opened = await openCall(o);
  const empty = {
    said: [],
    replyLatencyMs: [],
    greetingHeard: false,
    framesReceived: 0,
    audibleFramesReceived: 0,
    agentAudio: Buffer.alloc(0),
  };
  if ("refused" in opened) return { uuid: "", refused: opened.refused, hangupCause: "error", durationMs: 0, ...empty };
  const uuid = opened.uuid;
  const audible = o.audibleRms ?? 200;
  const turnEndMs = o.agentTurnEndMs ?? 700;
  const turnTimeoutMs = o.turnTimeoutMs ?? 15_000;

  const socket: Socket = connect(o.audioSocket.port, o.audioSocket.host);
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  socket.setNoDelay(true);
  socket.write(encodeUuid(uuid));

  // What the agent sends.
  const received: Buffer[] = [];
  let audibleFrames = 0;
  let lastAudibleAt = 0;
  let firstAudibleAfter: { since: number; at: number | undefined } | undefined;
  let hangupCause: TCallSummary["hangupCause"] | undefined;
  const decoder = new FrameDecoder();
  socket.on("data", (chunk: Buffer) => {
    for (const frame of decoder.push(chunk)) {
      if (frame.kind === "audio") {
        received.push(frame.pcm);
        if (frameRms(frame.pcm) >= audible) {
          audibleFrames++;
          lastAudibleAt = performance.now();
          if (firstAudibleAfter && firstAudibleAfter.at === undefined) firstAudibleAfter.at = lastAudibleAt;
        }
      } else if (frame.kind === "hangup") {
        hangupCause = "agent_hangup";
      }
    }
  });
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  socket.on("end", () => {
    hangupCause ??= "agent_hangup";
  });
  socket.on("error", () => {
    hangupCause ??= "error";
  });

  // What the caller sends: one frame every 20 ms on a monotonic grid, silence when idle.
  const queue: Buffer[] = [];
  let speechEndedAt: ((at: number) => void) | undefined;
  const gridStart = performance.now();
  let tick = 0;
  let pacing = true;
  const pace = () => {
    if (!pacing || socket.destroyed) return;
    const frame = queue.shift();
    socket.write(encodeAudio(frame ?? SILENCE));
    if (frame && queue.length === 0) speechEndedAt?.(performance.now());
    tick++;
    setTimeout(pace, Math.max(0, gridStart + tick * 20 - performance.now()));
  };
  pace();

  const gone = () => hangupCause !== undefined;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  /** Waits until the agent has spoken after `since` and then been quiet for turnEndMs. */
  async function agentTurn(since: number): Promise<boolean> {
    const deadline = performance.now() + turnTimeoutMs;
    while (!gone() && performance.now() < deadline) {
      if (lastAudibleAt > since && performance.now() - lastAudibleAt >= turnEndMs) return true;
      await sleep(20);
    }
    return lastAudibleAt > since;
  }

  /** Waits until the agent has been audible for `ms` after `since`. */
  async function agentSpeaking(since: number, ms: number): Promise<boolean> {
    const deadline = performance.now() + turnTimeoutMs;
    let firstAt: number | undefined;
    while (!gone() && performance.now() < deadline) {
      if (firstAt === undefined && lastAudibleAt > since) firstAt = lastAudibleAt;
      if (firstAt !== undefined && performance.now() - firstAt >= ms) return true;
      await sleep(10);
    }
    return false;
  }

  const said: string[] = [];
  const latencies: (number | null)[] = [];
  const first = o.steps[0];
  const greetingHeard = first && "say" in first && first.overAgent ? await agentSpeaking(started, 500) : await agentTurn(started);
  for (const [index, step] of o.steps.entries()) {
    if (gone()) break;
    const next = o.steps[index + 1];
    // The agent's reply: heard to its end, or only 0.5 s of it when the caller will talk over it.
    const reply = (since: number) => (next && "say" in next && next.overAgent ? agentSpeaking(since, 500) : agentTurn(since));
    if ("dtmf" in step) {
      socket.write(encodeDtmf(step.dtmf));
      said.push(`DTMF ${step.dtmf}`);
      const sentAt = performance.now();
      firstAudibleAfter = { since: sentAt, at: undefined };
      await reply(sentAt);
      latencies.push(firstAudibleAfter.at === undefined ? null : Math.round(firstAudibleAfter.at - sentAt));
      continue;
    }
    said.push(step.label);
    const endedAt = new Promise<number>((resolve) => {
      speechEndedAt = resolve;
    });
    for (let off = 0; off < step.say.length; off += SLIN8_FRAME_BYTES) {
      const frame = Buffer.alloc(SLIN8_FRAME_BYTES);
      step.say.copy(frame, 0, off, Math.min(step.say.length, off + SLIN8_FRAME_BYTES));
      queue.push(frame);
    }
    const end = await endedAt;
    speechEndedAt = undefined;
    firstAudibleAfter = { since: end, at: undefined };
    await reply(end);
    latencies.push(firstAudibleAfter.at === undefined ? null : Math.round(firstAudibleAfter.at - end));
  }

  pacing = false;
  if (!gone()) {
    hangupCause = "caller_hangup";
    socket.end(); // Asterisk ends a call by closing the socket
  }
  await Promise.race([closed, sleep(2_000)]);
  socket.destroy();
  const agentAudio = Buffer.concat(received);
  return {
    uuid,
    said,
    replyLatencyMs: latencies,
    greetingHeard,
    framesReceived: received.length,
    audibleFramesReceived: audibleFrames,
    hangupCause: hangupCause ?? "error",
    durationMs: Math.round(performance.now() - started),
    agentAudio,
  };
}
