// A speech-to-speech peer for tests and demos, speaking the STS WebSocket contract faithfully
// without a speech model: it detects the caller's utterances by energy, answers each with a
// transcript pair and a short tone of "speech", interrupts itself when the caller talks over it,
// and reports an error when asked to (DTMF `#`), so every message type of the contract is used.
import { type TStsServerMessage, ZStsClientMessageSchema } from "@dsai/contracts";
import { type WebSocket, WebSocketServer } from "ws";

const FRAME_BYTES = 320;
const VOICED_RMS = 500;
const END_SILENCE_FRAMES = 15; // 300 ms

export type TStsPeer = { url: string; close(): Promise<void> };

function rms(pcm: Buffer): number {
  let sum = 0;
  const n = pcm.length >> 1;
  for (let i = 0; i < n; i++) sum += pcm.readInt16LE(i * 2) ** 2;
  return n ? Math.sqrt(sum / n) : 0;
}

/** `ms` of a 400 Hz tone at 8 kHz, as the peer's "speech". */
function tone(ms: number): Buffer {
  const pcm = Buffer.alloc(ms * 16);
  for (let i = 0; i < pcm.length / 2; i++) pcm.writeInt16LE(Math.round(6_000 * Math.sin((2 * Math.PI * 400 * i) / 8_000)), i * 2);
  return pcm;
}

function session(ws: WebSocket, replyMs: number): void {
  const send = (m: TStsServerMessage) => ws.readyState === ws.OPEN && ws.send(JSON.stringify(m));
  let initialized = false;
  let voiced = 0;
  let silent = 0;
  let speaking: NodeJS.Timeout | undefined;
  let utterance = 0;

  const stopSpeaking = () => {
    clearInterval(speaking);
    speaking = undefined;
  };
  /** Answers what was heard (or, without it, greets). */
  const reply = (heard: string | undefined) => {
    if (heard !== undefined) send({ type: "transcript", role: "user", text: heard });
    const text = heard === undefined ? "Hello from the speech-to-speech peer." : `You said: ${heard}.`;
    send({ type: "transcript", role: "agent", text });
    // Stream the answer as real-time 20 ms frames, like a model would.
    const audio = tone(replyMs);
    let off = 0;
    stopSpeaking();
    speaking = setInterval(() => {
      if (off >= audio.length) return stopSpeaking();
      send({ type: "audio", audio: audio.subarray(off, off + FRAME_BYTES).toString("base64") });
      off += FRAME_BYTES;
    }, 20);
  };

  ws.on("message", (data) => {
    let parsed: ReturnType<typeof ZStsClientMessageSchema.safeParse>;
    try {
      parsed = ZStsClientMessageSchema.safeParse(JSON.parse(data.toString()));
    } catch {
      return send({ type: "error", message: "message is not JSON" });
    }
    if (!parsed.success) return send({ type: "error", message: `invalid message: ${parsed.error.issues[0]?.message ?? ""}` });
    const m = parsed.data;
    if (m.type === "init") {
      initialized = true;
      return reply(undefined);
    }
    if (!initialized) return send({ type: "error", message: "init first" });
    if (m.type === "dtmf_digit") {
      if (m.digit === "#") return send({ type: "error", message: "the peer was asked to fail" });
      return reply(`DTMF ${m.digit}`);
    }
    const loud = rms(Buffer.from(m.audio, "base64")) >= VOICED_RMS;
    if (loud) {
      voiced++;
      silent = 0;
      if (voiced === 3 && speaking) {
        stopSpeaking();
        send({ type: "interruption" });
      }
    } else if (voiced >= 3 && ++silent >= END_SILENCE_FRAMES) {
      utterance++;
      reply(`utterance ${utterance} of ${voiced * 20} ms`);
      voiced = 0;
      silent = 0;
    } else if (voiced < 3) {
      voiced = 0;
    }
  });
  ws.on("close", stopSpeaking);
}

export async function startStsPeer(options: { host: string; port: number; replyMs?: number }): Promise<TStsPeer> {
  const server = new WebSocketServer({ host: options.host, port: options.port, maxPayload: 64 * 1024 });
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  server.on("connection", (ws) => session(ws, options.replyMs ?? 600));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : options.port;
  return {
    url: `ws://${options.host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of server.clients) client.terminate();
        server.close(() => resolve());
      }),
  };
}
