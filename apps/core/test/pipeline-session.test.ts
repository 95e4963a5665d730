// A pipeline call's replies are cancellable like any reply: the caller speaking over the
// greeting stops it at once — its TTS request is aborted, so no more of it is queued after the
// barge-in, however slowly the TTS streams. Providers are faithful HTTP peers on loopback: a TTS
// that streams the greeting over two seconds, and an ASR that listens and says nothing. An ASR
// that stops reading the caller's audio costs a reopen of its stream, never the core's memory.
import { createServer, type RequestListener, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { ASR_PATH, LLM_PATH, TTS_PATH } from "@dsai/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAddressGuard } from "../src/address-guard.ts";
import { MAX_QUEUED_MS } from "../src/audiosocket/outbound-audio.ts";
import { createPipelineSession, type TPipelineAgent, type TPipelineOptions } from "../src/calls/pipeline-session.ts";
import type { TCallEventInput } from "../src/calls/types.ts";
import { createMetrics } from "../src/metrics.ts";
import { MAX_UNREAD_AUDIO_BYTES } from "../src/pipeline/audio-feed.ts";

const CHUNK = Buffer.alloc(1_600, 0x10); // 100 ms of (quiet) audio
const CHUNKS = 20;

const servers: Server[] = [];
/** The call's providers as one HTTP peer on loopback; stopped after the file's tests. */
async function startProviders(handler: RequestListener): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
afterAll(async () => {
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});

/** Providers: an ASR that listens and never transcribes, and a TTS that answers with `speak`. */
function listeningAsrAnd(speak: (res: ServerResponse) => void): RequestListener {
  return (req, res) => {
    req.resume();
    if (req.url === ASR_PATH) {
      res.writeHead(200, { "content-type": "text/plain" });
      res.flushHeaders();
      return;
    }
    if (req.url !== TTS_PATH) return void res.writeHead(404).end();
    speak(res);
  };
}

/** A pipeline session's options against providers at `url` (the platform's own: not guarded), or at `providers`. */
function sessionOptions(
  url: string,
  o: { uuid: string; greeting: string; idleMs: number; events?: TCallEventInput[]; providers?: TPipelineAgent["providers"] },
): TPipelineOptions {
  const own = { url, guard: undefined };
  return {
    uuid: o.uuid,
    agent: { id: "support", greeting: o.greeting, prompt: "", providers: o.providers ?? { asr: own, llm: own, tts: own } },
    metrics: createMetrics({ activeCalls: () => 1, pacer: () => ({}) as never, senderSliceUs: () => 0, outboxBacklog: () => 0 }),
    timeouts: { responseMs: 2_000, idleMs: o.idleMs },
    turnTimeoutMs: 10_000,
    recordEvent: (e) => o.events?.push(e),
    log: () => {},
    onEnded: () => {},
  };
}

describe("a pipeline call's greeting", () => {
  let url = "";
  const tts = { chunksSent: 0, aborted: false };

  beforeAll(async () => {
    url = await startProviders(
      listeningAsrAnd((res) => {
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
      }),
    );
  });

  it("stops at once when the caller speaks over it: its TTS request is cancelled", async () => {
    const events: TCallEventInput[] = [];
    const session = createPipelineSession(
      sessionOptions(url, {
        uuid: "00000000-0000-4000-8000-00000000000a",
        greeting: "Hello, thank you for calling.",
        idleMs: 2_000,
        events,
      }),
    );
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

describe("a pipeline call whose ASR stops reading the caller's audio", () => {
  let url = "";
  let asrRequests = 0;

  beforeAll(async () => {
    url = await startProviders((req, res) => {
      if (req.url !== ASR_PATH) return void res.writeHead(404).end();
      asrRequests++;
      req.pause(); // answers the headers, then never reads the caller's audio
      res.writeHead(200, { "content-type": "text/plain" });
      res.flushHeaders();
    });
  });

  it("fails the ASR stream once the feed's cap is unread, records why, and reopens the ASR", async () => {
    const events: TCallEventInput[] = [];
    const options = sessionOptions(url, { uuid: "00000000-0000-4000-8000-00000000000b", greeting: "", idleMs: 60_000, events });
    const session = createPipelineSession(options);
    session.bindHangup(() => {});
    const quiet = Buffer.alloc(320);
    // Caller audio far faster than real time (40 MiB): the socket buffers fill, then the feed.
    for (let i = 0; i < 131_072 && !events.some((e) => e.kind === "error"); i++) {
      session.onAudio(quiet, 8_000);
      if (i % 50 === 0) await new Promise((r) => setImmediate(r));
    }
    // The reopen comes after a pause (200 ms for the first).
    for (let waited = 0; asrRequests < 2 && waited < 2_000; waited += 20) await new Promise((r) => setTimeout(r, 20));
    const errors = events.filter((e) => e.kind === "error").map((e) => e.text);
    expect(errors[0]).toBe(`asr: stopped reading the caller's audio (over ${MAX_UNREAD_AUDIO_BYTES / 1024} KiB unread)`);
    expect(asrRequests).toBe(2);
    session.onEnd("caller_hangup");
  });
});

describe("a pipeline call's audio on its way to the ASR", () => {
  let url = "";
  const received: Buffer[] = [];

  beforeAll(async () => {
    url = await startProviders((req, res) => {
      if (req.url !== ASR_PATH) return void res.writeHead(404).end();
      req.on("data", (d: Buffer) => received.push(d));
      res.writeHead(200, { "content-type": "text/plain" });
      res.flushHeaders();
    });
  });

  const bytesReceived = () => received.reduce((n, b) => n + b.length, 0);
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it("arrives intact from a reused read buffer: the end of speech at once, then 40 ms batches", async () => {
    const session = createPipelineSession(
      sessionOptions(url, { uuid: "00000000-0000-4000-8000-00000000000c", greeting: "", idleMs: 60_000 }),
    );
    session.bindHangup(() => {});
    await sleep(100); // the ASR stream is open
    // One buffer for every frame, rewritten each time, as the AudioSocket server reads.
    const frame = Buffer.alloc(320);
    let pushed = 0;
    const push = (voiced: boolean) => {
      for (let i = 0; i < 160; i++) frame.writeInt16LE(voiced ? (i % 2 ? 8_000 : -8_000) : 0, i * 2);
      frame.writeUInt32LE(pushed++, 0); // the frame's number, to find it in what the ASR got
      session.onAudio(frame, 8_000);
    };
    for (let i = 0; i < 12; i++) push(true);
    push(false); // the end of speech: sent at once with what waits
    await sleep(50);
    expect(bytesReceived()).toBe(pushed * 320);
    push(false);
    await sleep(50);
    expect(bytesReceived()).toBe((pushed - 1) * 320); // waits for its batch of two
    push(false);
    await sleep(50);
    expect(bytesReceived()).toBe(pushed * 320);
    // Every frame as it was pushed, in order: nothing kept a view of the reused buffer.
    const all = Buffer.concat(received);
    for (let n = 0; n < pushed; n++) expect(all.readUInt32LE(n * 320)).toBe(n);
    session.onEnd("caller_hangup");
  });
});

describe("a pipeline call whose TTS streams far faster than real time", () => {
  let url = "";
  const tts = { bytesSent: 0, closed: false };
  const SECOND = Buffer.alloc(16_000, 0x10); // 1 s of audio
  const TEN_MINUTES = 600;

  beforeAll(async () => {
    url = await startProviders(
      listeningAsrAnd((res) => {
        res.writeHead(200, { "content-type": "audio/L16" });
        res.on("close", () => {
          tts.closed = true;
        });
        // As fast as the core takes it: ten minutes of speech for one greeting.
        let sent = 0;
        const more = () => {
          while (sent < TEN_MINUTES && !res.destroyed) {
            sent++;
            tts.bytesSent += SECOND.length;
            if (!res.write(SECOND)) return void res.once("drain", more);
          }
          res.end();
        };
        more();
      }),
    );
  });

  it("queues at most MAX_QUEUED_MS ahead of the caller: the TTS stream waits for room (TCP pushes back)", async () => {
    const session = createPipelineSession(
      sessionOptions(url, { uuid: "00000000-0000-4000-8000-00000000000c", greeting: "A very long greeting.", idleMs: 60_000 }),
    );
    session.bindHangup(() => {});
    await new Promise((r) => setTimeout(r, 1_000));
    // Nothing plays here (no pacer): the queue is full, the rest waits at the provider. Over the
    // cap by one chunk at most: what the response had buffered (16 KiB + one 64 KiB read: 5 s).
    expect(session.outbound.queuedMs).toBeGreaterThanOrEqual(MAX_QUEUED_MS);
    expect(session.outbound.queuedMs).toBeLessThanOrEqual(MAX_QUEUED_MS + 5_000);
    expect(tts.bytesSent).toBeLessThan(TEN_MINUTES * SECOND.length);
    // Playing 5 s makes room for 5 s more.
    const frame = Buffer.alloc(320);
    for (let f = 0; f < 250; f++) session.outbound.readFrameInto(frame, 0);
    await new Promise((r) => setTimeout(r, 200));
    expect(session.outbound.queuedMs).toBeGreaterThanOrEqual(MAX_QUEUED_MS);
    session.onEnd("caller_hangup");
    for (let waited = 0; !tts.closed && waited < 2_000; waited += 20) await new Promise((r) => setTimeout(r, 20));
    expect(tts.closed).toBe(true);
  });
});

describe("a pipeline call's hang-up", () => {
  let url = "";
  const asr = { connections: 0, bodiesEnded: 0, cut: 0 };

  beforeAll(async () => {
    url = await startProviders((req, res) => {
      if (req.url !== ASR_PATH) return void res.writeHead(404).end();
      res.writeHead(200, { "content-type": "text/plain" });
      res.flushHeaders();
      req.resume();
      req.on("end", () => {
        asr.bodiesEnded++;
        res.end("goodbye\n"); // the last utterance, flushed by the end of the body
      });
      res.on("close", () => {
        if (!res.writableFinished) asr.cut++;
      });
    });
    servers.at(-1)?.on("connection", () => asr.connections++);
  });

  it("ends the ASR's audio rather than cutting it: its last words are not recorded, and the next call reuses the connection", async () => {
    for (let call = 0; call < 2; call++) {
      const events: TCallEventInput[] = [];
      const session = createPipelineSession(
        sessionOptions(url, { uuid: `00000000-0000-4000-8000-00000000001${call}`, greeting: "", idleMs: 60_000, events }),
      );
      session.bindHangup(() => {});
      await new Promise((r) => setTimeout(r, 100)); // the ASR stream is open
      session.onAudio(Buffer.alloc(320), 8_000);
      session.onEnd("caller_hangup");
      for (let waited = 0; asr.bodiesEnded <= call && waited < 2_000; waited += 20) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 50)); // the response is read to its end
      expect(events.filter((e) => e.kind === "transcript" || e.kind === "error")).toEqual([]);
    }
    expect(asr).toEqual({ connections: 1, bodiesEnded: 2, cut: 0 });
  });
});

describe("a pipeline call's reply", () => {
  /** Providers: an ASR that listens, an LLM that streams `llmPieces` 150 ms apart, a TTS that takes 400 ms a sentence. */
  async function providers(llmPieces: string[]) {
    const seen = { llmEndedAt: 0, tts: [] as { text: string; answeredAt: number; cut: boolean }[] };
    const url = await startProviders((req, res) => {
      let body = "";
      req.on("data", (d: Buffer) => {
        body += d.toString();
      });
      if (req.url === ASR_PATH) {
        res.writeHead(200, { "content-type": "text/plain" });
        res.flushHeaders();
        return;
      }
      req.on("end", async () => {
        if (req.url === LLM_PATH) {
          res.writeHead(200, { "content-type": "application/x-ndjson" });
          for (const piece of llmPieces) {
            res.write(piece);
            await new Promise((r) => setTimeout(r, 150));
          }
          res.end(() => {
            seen.llmEndedAt = performance.now();
          });
          return;
        }
        if (req.url !== TTS_PATH) return void res.writeHead(404).end();
        const sentence = { text: (JSON.parse(body) as { text: string }).text, answeredAt: 0, cut: false };
        seen.tts.push(sentence);
        res.on("close", () => {
          sentence.cut = !res.writableFinished;
        });
        res.writeHead(200, { "content-type": "audio/L16" });
        // 100 ms of audio every 100 ms for 400 ms, as a TTS synthesizing in real time.
        for (let i = 0; i < 4 && !res.destroyed; i++) {
          await new Promise((r) => setTimeout(r, 100));
          res.write(CHUNK);
        }
        sentence.answeredAt = performance.now();
        res.end();
      });
    });
    return { url, seen };
  }

  const text = (content: string) => `${JSON.stringify({ type: "text", content })}\n`;
  const until = async (done: () => boolean) => {
    for (let waited = 0; !done() && waited < 3_000; waited += 20) await new Promise((r) => setTimeout(r, 20));
  };

  it("reads the LLM ahead of the TTS: the whole reply is read while its first sentence is still being synthesized", async () => {
    const { url, seen } = await providers([text("First sentence. "), text("Second one.")]);
    const events: TCallEventInput[] = [];
    const session = createPipelineSession(
      sessionOptions(url, { uuid: "00000000-0000-4000-8000-000000000020", greeting: "", idleMs: 2_000, events }),
    );
    session.bindHangup(() => {});
    session.onDtmf("1");
    await until(() => events.some((e) => e.kind === "latency"));
    expect(seen.tts.map((t) => t.text)).toEqual(["First sentence.", "Second one."]);
    expect(seen.llmEndedAt).toBeGreaterThan(0);
    expect(seen.llmEndedAt).toBeLessThan(seen.tts[0]?.answeredAt ?? 0);
    expect(events.filter((e) => e.kind === "transcript").map((e) => e.text)).toEqual(["First sentence. Second one."]);
    expect(session.outbound.queuedMs).toBe(800);
    session.onEnd("caller_hangup");
  });

  it("stops the sentence being spoken at once when the LLM fails mid-reply, and apologizes", async () => {
    const { url, seen } = await providers([text("First sentence. "), "<html>oops</html>"]);
    const events: TCallEventInput[] = [];
    const session = createPipelineSession(
      sessionOptions(url, { uuid: "00000000-0000-4000-8000-000000000021", greeting: "", idleMs: 2_000, events }),
    );
    session.bindHangup(() => {});
    session.onDtmf("1");
    await until(() => seen.tts.length === 2);
    // The first sentence's synthesis (400 ms) was cut when the LLM failed, 150 ms in.
    expect(seen.tts[0]).toMatchObject({ text: "First sentence.", cut: true });
    expect(seen.tts[1]?.text).toMatch(/^Sorry/);
    const errors = events.filter((e) => e.kind === "error");
    expect(errors).toHaveLength(1);
    expect(errors[0]?.text).toMatch(/^llm: expected a JSON object/);
    session.onEnd("caller_hangup");
  });
});

describe("a pipeline call whose tenant-given LLM points at an internal address", () => {
  let own = ""; // the platform's own ASR and TTS: not guarded
  let internalPort = 0;
  /** A service inside (the License Service's admin API, the host...): it must hear nothing. */
  const internal = { connections: 0, requests: 0 };
  const spoken: string[] = [];
  // A faithful resolver peer: the name the tenant gave resolves to this machine's loopback.
  const guard = createAddressGuard(async (host) => {
    if (host === "llm.tenant.example") return [{ address: "127.0.0.1", family: 4 }];
    throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: "ENOTFOUND" });
  });

  beforeAll(async () => {
    own = await startProviders(
      listeningAsrAnd((res) => {
        res.writeHead(200, { "content-type": "audio/L16" });
        res.end(CHUNK);
      }),
    );
    servers.at(-1)?.on("request", (req) => {
      let body = "";
      req.on("data", (d: Buffer) => {
        body += d.toString();
      });
      req.on("end", () => req.url === TTS_PATH && spoken.push((JSON.parse(body) as { text: string }).text));
    });
    const inside = await startProviders((req, res) => {
      internal.requests++;
      req.resume();
      res.writeHead(500).end();
    });
    servers.at(-1)?.on("connection", () => internal.connections++);
    internalPort = Number(new URL(inside).port);
  });

  async function callWithLlmAt(llmUrl: string, llmGuard: typeof guard | undefined, uuid: string): Promise<TCallEventInput[]> {
    const events: TCallEventInput[] = [];
    const apologies = spoken.length;
    const session = createPipelineSession(
      sessionOptions(own, {
        uuid,
        greeting: "",
        idleMs: 2_000,
        events,
        providers: { asr: { url: own, guard: undefined }, llm: { url: llmUrl, guard: llmGuard }, tts: { url: own, guard: undefined } },
      }),
    );
    session.bindHangup(() => {});
    session.onDtmf("1");
    for (let waited = 0; spoken.length === apologies && waited < 3_000; waited += 20) await new Promise((r) => setTimeout(r, 20));
    session.onEnd("caller_hangup");
    expect(spoken.slice(apologies)).toEqual([expect.stringMatching(/^Sorry/)]); // the caller hears the apology
    return events.filter((e) => e.kind === "error");
  }

  it("is refused before a connection, as an IPv4-mapped literal or as a name that resolves inside; the call apologizes", async () => {
    const literal = await callWithLlmAt(`http://[::ffff:127.0.0.1]:${internalPort}`, guard, "00000000-0000-4000-8000-000000000030");
    expect(literal).toEqual([
      { kind: "error", text: "llm: refused: [::ffff:7f00:1] is an internal address (loopback)", data: { provider: "llm" } },
    ]);
    const named = await callWithLlmAt(`http://llm.tenant.example:${internalPort}`, guard, "00000000-0000-4000-8000-000000000031");
    expect(named).toEqual([
      {
        kind: "error",
        text: "llm: refused: llm.tenant.example resolves to an internal address (127.0.0.1, loopback)",
        data: { provider: "llm" },
      },
    ]);
    expect(internal).toEqual({ connections: 0, requests: 0 });

    // Without the guard (a core that allows internal addresses) the same URL does reach it.
    const allowed = await callWithLlmAt(`http://[::ffff:127.0.0.1]:${internalPort}`, undefined, "00000000-0000-4000-8000-000000000032");
    expect(allowed.map((e) => e.text)).toEqual(["llm: answered HTTP 500"]);
    expect(internal.requests).toBe(1);
  });
});
