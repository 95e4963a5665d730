// A pipeline call's replies are cancellable like any reply: the caller speaking over the
// greeting stops it at once — its TTS request is aborted, so no more of it is queued after the
// barge-in, however slowly the TTS streams. Providers are faithful HTTP peers on loopback: a TTS
// that streams the greeting over two seconds, and an ASR that listens and says nothing.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { ASR_PATH, TTS_PATH } from "@dsai/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPipelineSession } from "../src/calls/pipeline-session.ts";
import type { TCallEventInput } from "../src/calls/types.ts";
import { createMetrics } from "../src/metrics.ts";

const CHUNK = Buffer.alloc(1_600, 0x10); // 100 ms of (quiet) audio
const CHUNKS = 20;

describe("a pipeline call's greeting", () => {
  let providers: Server;
  let url = "";
  const tts = { chunksSent: 0, aborted: false };

  beforeAll(async () => {
    providers = createServer((req, res) => {
      req.resume();
      if (req.url === ASR_PATH) {
        res.writeHead(200, { "content-type": "text/plain" });
        res.flushHeaders();
        return; // listens, never transcribes
      }
      if (req.url !== TTS_PATH) return void res.writeHead(404).end();
      res.writeHead(200, { "content-type": "audio/L16" });
      const timer = setInterval(() => {
        if (tts.chunksSent === CHUNKS) {
          clearInterval(timer);
          res.end();
          return;
        }
        tts.chunksSent++;
        res.write(CHUNK);
      }, 100);
      res.on("close", () => {
        clearInterval(timer);
        if (tts.chunksSent < CHUNKS) tts.aborted = true;
      });
    });
    await new Promise<void>((r) => providers.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(providers.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    providers.closeAllConnections();
    await new Promise((r) => providers.close(r));
  });

  it("stops at once when the caller speaks over it: its TTS request is cancelled", async () => {
    const events: TCallEventInput[] = [];
    const session = createPipelineSession({
      uuid: "00000000-0000-4000-8000-00000000000a",
      agent: { id: "support", greeting: "Hello, thank you for calling.", prompt: "", providers: { asr: url, llm: url, tts: url } },
      metrics: createMetrics({ activeCalls: () => 1, pacer: () => ({}) as never, outboxBacklog: () => 0 }),
      timeouts: { responseMs: 2_000, idleMs: 2_000 },
      turnTimeoutMs: 10_000,
      recordEvent: (e) => events.push(e),
      log: () => {},
      onEnded: () => {},
    });
    session.bindHangup(() => {});
    // The greeting starts streaming.
    while (tts.chunksSent < 3) await new Promise((r) => setTimeout(r, 20));
    expect(session.outbound.idle).toBe(false);

    // The caller speaks: 200 ms of a loud tone, frame by frame.
    const loud = Buffer.alloc(320);
    for (let i = 0; i < 160; i++) loud.writeInt16LE(i % 16 < 8 ? 8_000 : -8_000, i * 2);
    for (let f = 0; f < 10; f++) session.onAudio(loud, 8_000);
    expect(events.map((e) => e.kind)).toContain("interruption");
    expect(session.outbound.idle).toBe(true);

    // A second later nothing more of the greeting was queued, and its request was given up.
    await new Promise((r) => setTimeout(r, 1_000));
    expect(session.outbound.queuedMs).toBe(0);
    expect(tts.aborted).toBe(true);
    expect(tts.chunksSent).toBeLessThan(CHUNKS);
    session.onEnd("caller_hangup");
  });
});
