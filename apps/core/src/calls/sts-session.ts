// One call in speech-to-speech mode: the caller's 20 ms frames go to the STS service over its
// WebSocket as they arrive, its audio comes back into the call's paced outbound queue. The
// service decides turns itself; `interruption` clears what is queued (barge-in), transcripts and
// errors are recorded with the call. If the service goes away the call cannot go on: it ends.
import type { LookupFunction } from "node:net";
import { type TStsServerMessage, ZStsServerMessageSchema } from "@dsai/contracts";
import WebSocket from "ws";
import type { TAddressGuard } from "../address-guard.ts";
import { OutboundAudio } from "../audiosocket/outbound-audio.ts";
import type { TCallSession, THangupCause } from "../audiosocket/server.ts";
import type { TMetrics } from "../metrics.ts";
import { toTelephonyRate } from "../pipeline/resample.ts";
import type { TCallEventInput, TCallOutcome } from "./types.ts";

export type TStsOptions = {
  uuid: string;
  agentId: string;
  url: string;
  /** Set for a tenant-given (URL-type) STS profile unless the core allows internal addresses. */
  guard: TAddressGuard | undefined;
  metrics: TMetrics;
  /** Until the WebSocket is open. */
  connectTimeoutMs: number;
  recordEvent(event: TCallEventInput): void;
  log(message: string): void;
  onEnded(outcome: TCallOutcome): void;
};

/** Frames sent before the socket opens are kept (up to 2 s) rather than lost. */
const MAX_PENDING_FRAMES = 100;

export function createStsSession(o: TStsOptions): TCallSession {
  const outbound = new OutboundAudio();
  const answeredAt = new Date();
  const pending: string[] = [];
  let hangup: (() => void) | undefined;
  let ended = false;
  let ws: WebSocket | undefined;

  function fail(message: string, endCall: boolean): void {
    o.metrics.providerErrors.inc({ provider: "sts" });
    o.recordEvent({ kind: "error", text: `sts: ${message}`, data: { provider: "sts" } });
    o.log(`provider error: sts: ${message}`);
    if (endCall && !ended) hangup?.();
  }

  function send(message: string): void {
    if (ws?.readyState === WebSocket.OPEN) ws.send(message);
    else if (pending.length < MAX_PENDING_FRAMES) pending.push(message);
  }

  function onMessage(m: TStsServerMessage): void {
    switch (m.type) {
      case "audio":
        outbound.enqueue(Buffer.from(m.audio, "base64"));
        return;
      case "interruption":
        outbound.clear();
        o.metrics.interruptions.inc();
        o.recordEvent({ kind: "interruption" });
        return;
      case "transcript":
        o.recordEvent({ kind: "transcript", role: m.role, text: m.text });
        return;
      case "error":
        fail(m.message, false);
        return;
    }
  }

  function connect(): void {
    const refusal = o.guard?.refusal(new URL(o.url));
    if (refusal) {
      // Fails as an unreachable service does: once the hang-up is bound, never inside bindHangup.
      setImmediate(() => {
        if (!ended) fail(refusal, true);
      });
      return;
    }
    // ws hands `lookup` to the connection it opens (its types leave it out).
    const options: WebSocket.ClientOptions & { lookup?: LookupFunction } = { handshakeTimeout: o.connectTimeoutMs, maxPayload: 256 * 1024 };
    if (o.guard) options.lookup = o.guard.lookup;
    const socket = new WebSocket(o.url, options);
    ws = socket;
    socket.on("open", () => {
      socket.send(JSON.stringify({ type: "init", uuid: o.uuid, agentId: o.agentId }));
      for (const m of pending.splice(0)) socket.send(m);
    });
    socket.on("message", (data) => {
      let parsed: ReturnType<typeof ZStsServerMessageSchema.safeParse>;
      try {
        parsed = ZStsServerMessageSchema.safeParse(JSON.parse(data.toString()));
      } catch {
        return fail("sent a message that is not JSON", false);
      }
      if (!parsed.success) return fail(`sent an unexpected message: ${parsed.error.issues[0]?.message ?? "invalid"}`, false);
      onMessage(parsed.data);
    });
    socket.on("error", (err) => {
      if (!ended) fail(err.message, true);
    });
    socket.on("close", () => {
      if (!ended) fail("the connection closed", true);
    });
  }

  return {
    outbound,
    onAudio(pcm, sampleRate) {
      if (!ended) send(JSON.stringify({ type: "audio", audio: toTelephonyRate(pcm, sampleRate).toString("base64") }));
    },
    onDtmf(digit) {
      if (ended || !/^[0-9*#A-D]$/.test(digit)) return; // the contract's digits only
      o.recordEvent({ kind: "dtmf", text: digit });
      send(JSON.stringify({ type: "dtmf_digit", digit }));
    },
    bindHangup(fn) {
      hangup = fn;
      connect();
    },
    onEnd(cause: THangupCause, detail?: string) {
      if (ended) return;
      ended = true;
      ws?.removeAllListeners("close");
      ws?.on("error", () => {});
      ws?.close();
      outbound.clear();
      if (detail) o.log(`call ended: ${cause} (${detail})`);
      o.onEnded({ cause, answeredAt, endedAt: new Date(), transferTarget: undefined });
    },
  };
}
