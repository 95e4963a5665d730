// Provider stubs for `npm run bench:core`, at fixed latencies, in their own process so that the
// core's CPU is measured alone. They speak the real AVR contracts over HTTP:
//   ASR: a transcript ASR_MS after the first silent frame that follows voiced frames;
//   LLM: one sentence LLM_MS after the request;  TTS: 400 ms of tone TTS_MS after the request.
// Each answer is time-stamped per call (the contract's x-uuid header) on the machine's monotonic
// clock; GET /timeline hands them over (and forgets them), so bench:core can tell how late these
// stubs' own timers were — CPU 0's share of a reply's latency, not the core's.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { UUID_HEADER } from "../packages/contracts/src/providers/avr.ts";

const ASR_MS = Number(process.env.STUB_ASR_MS ?? 50);
const LLM_MS = Number(process.env.STUB_LLM_MS ?? 100);
const TTS_MS = Number(process.env.STUB_TTS_MS ?? 50);
const FRAME = 320;
const VOICED = 1_000;

/** When a stub's wait for one answer began (`in`) and when the answer went out (`out`), in ms. */
export type TStubAnswer = { kind: "asr" | "llm" | "tts"; in: number; out: number };
const monotonicMs = () => Number(process.hrtime.bigint()) / 1e6;
let timeline = new Map<string, TStubAnswer[]>();
function answered(req: IncomingMessage, kind: TStubAnswer["kind"], inAt: number): void {
  const uuid = String(req.headers[UUID_HEADER] ?? "");
  const answers = timeline.get(uuid) ?? [];
  answers.push({ kind, in: inAt, out: monotonicMs() });
  timeline.set(uuid, answers);
}

const tone = Buffer.alloc(6_400); // 400 ms at 8 kHz
for (let i = 0; i < tone.length / 2; i++) tone.writeInt16LE(i % 16 < 8 ? 6_000 : -6_000, i * 2);

function asr(req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(200, { "content-type": "text/plain" });
  res.flushHeaders();
  let carry: Buffer = Buffer.alloc(0);
  let voiced = false;
  req.on("data", (chunk: Buffer) => {
    carry = carry.length ? Buffer.concat([carry, chunk]) : chunk;
    let off = 0;
    for (; off + FRAME <= carry.length; off += FRAME) {
      const loud = Math.abs(carry.readInt16LE(off)) >= VOICED;
      // A transcript due after the call's audio ended is not sent: the response has ended.
      if (voiced && !loud) {
        const inAt = monotonicMs();
        setTimeout(() => {
          if (res.writableEnded) return;
          res.write("hello\n");
          answered(req, "asr", inAt);
        }, ASR_MS);
      }
      voiced = loud;
    }
    carry = carry.subarray(off);
  });
  req.on("end", () => res.end());
}

function llm(req: IncomingMessage, res: ServerResponse): void {
  req.resume();
  req.on("end", () => {
    const inAt = monotonicMs();
    setTimeout(() => {
      res.writeHead(200, { "content-type": "application/x-ndjson" });
      res.end('{"type":"text","content":"Sure, here it is."}\n');
      answered(req, "llm", inAt);
    }, LLM_MS);
  });
}

function tts(req: IncomingMessage, res: ServerResponse): void {
  req.resume();
  req.on("end", () => {
    const inAt = monotonicMs();
    setTimeout(() => {
      res.writeHead(200, { "content-type": "audio/l16" });
      res.end(tone);
      answered(req, "tts", inAt);
    }, TTS_MS);
  });
}

const server = createServer((req, res) => {
  if (req.url === "/speech-to-text-stream") return asr(req, res);
  if (req.url === "/prompt-stream") return llm(req, res);
  if (req.url === "/text-to-speech-stream") return tts(req, res);
  if (req.method === "GET" && req.url === "/timeline") {
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(Object.fromEntries(timeline)));
    timeline = new Map();
    return;
  }
  res.writeHead(404).end();
});
server.keepAliveTimeout = 60_000;
server.requestTimeout = 0;
server.listen(0, "127.0.0.1", () => {
  const address = server.address();
  process.stdout.write(`stubs on ${typeof address === "object" && address ? address.port : 0}\n`);
});
