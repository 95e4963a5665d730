// Each stage of the call pipeline alone, against a faithful peer of its AVR contract: a real
// node:http server on 127.0.0.1 that streams, reads slowly, stops reading or never ends, as
// real providers do. What is checked is what the peer saw and what the stage yielded or threw.
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { AGENT_HEADER, ASR_PATH, LLM_PATH, TTS_PATH, UUID_HEADER } from "@dsai/contracts";
import { afterEach, describe, expect, it } from "vitest";
import { AudioFeed, MAX_UNREAD_AUDIO_BYTES } from "../src/pipeline/audio-feed.ts";
import { ProviderError } from "../src/pipeline/provider-clients.ts";
import { createLlm, createStt, createTts } from "../src/pipeline/stages.ts";

const UUID = "00000000-0000-4000-8000-0000000000b1";
const BATCH = Buffer.alloc(1_600, 0x10); // 100 ms of caller audio

const peers: Server[] = [];
afterEach(async () => {
  for (const peer of peers.splice(0)) {
    peer.closeAllConnections();
    await new Promise((r) => peer.close(r));
  }
});

/** A provider peer on loopback; answers 404 off `path`. */
async function startPeer(path: string, handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const peer = createServer((req, res) => (req.url === path ? handle(req, res) : res.writeHead(404).end()));
  peers.push(peer);
  await new Promise<void>((r) => peer.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(peer.address() as AddressInfo).port}`;
}

/** Resolves true once `res` closes before the peer ended it: the core gave the request up. */
function cutOff(res: ServerResponse): Promise<boolean> {
  return new Promise((resolve) => res.on("close", () => resolve(!res.writableFinished)));
}

const timeouts = (idleMs = 2_000) => ({ responseMs: 2_000, idleMs });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function collect<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of stream) out.push(item);
  return out;
}

async function failure(run: Promise<unknown>): Promise<ProviderError> {
  try {
    await run;
  } catch (err) {
    expect(err).toBeInstanceOf(ProviderError);
    return err as ProviderError;
  }
  throw new Error("the stage did not fail");
}

describe("stt", () => {
  it("uploads the caller's audio and yields each transcript the ASR sends, one per chunk or line", async () => {
    let received = 0;
    let headers: IncomingMessage["headers"] = {};
    const url = await startPeer(ASR_PATH, (req, res) => {
      headers = req.headers;
      res.writeHead(200, { "content-type": "text/plain" });
      res.flushHeaders();
      req.on("data", (d: Buffer) => {
        received += d.length;
      });
      req.on("end", async () => {
        res.write("hello there");
        await sleep(50);
        res.write("second\nthird\n");
        await sleep(50);
        res.end();
      });
    });
    const feed = new AudioFeed();
    const stt = createStt({ url, uuid: UUID, timeouts: timeouts() });
    const transcripts = collect(stt(feed, new AbortController().signal));
    for (let i = 0; i < 10; i++) feed.push(BATCH);
    feed.close();
    expect(await transcripts).toEqual(["hello there", "second", "third"]);
    expect(received).toBe(10 * BATCH.length);
    expect(headers[UUID_HEADER]).toBe(UUID);
    expect(headers["content-type"]).toMatch(/^audio\/l16/);
  });

  const CHUNK = 64 * 1024;
  const TOTAL = 32 * 1024 * 1024; // far beyond what the socket buffers hold
  /** An ASR that reads nothing for 400 ms, then pauses 100 ms every 4 MiB; it answers the body's size and hash. */
  async function slowAsr(): Promise<string> {
    return startPeer(ASR_PATH, (req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.flushHeaders();
      const hash = createHash("sha256");
      let received = 0;
      let nextPause = 4 * 1024 * 1024;
      req.pause(); // reads nothing for 400 ms, then pauses 100 ms every 4 MiB
      setTimeout(() => req.resume(), 400);
      req.on("data", (d: Buffer) => {
        hash.update(d);
        received += d.length;
        if (received >= nextPause) {
          nextPause += 4 * 1024 * 1024;
          req.pause();
          setTimeout(() => req.resume(), 100);
        }
      });
      req.on("end", () => res.end(`${received} ${hash.digest("hex")}`));
    });
  }

  it("pulls audio only as fast as a slow ASR reads it, and delivers every byte in order", async () => {
    const url = await slowAsr();
    const sent = createHash("sha256");
    let produced = 0;
    async function* audio(): AsyncGenerator<Buffer> {
      for (let i = 0; produced < TOTAL; i++) {
        const chunk = Buffer.alloc(CHUNK, i % 251);
        sent.update(chunk);
        produced += chunk.length;
        yield chunk;
      }
    }
    const stt = createStt({ url, uuid: UUID, timeouts: timeouts(2_000) });
    const transcripts = collect(stt(audio(), new AbortController().signal));
    await sleep(300);
    // The ASR has read nothing yet: the stage stopped pulling once the request's buffers were full.
    expect(produced).toBeLessThan(TOTAL / 2);
    expect(await transcripts).toEqual([`${TOTAL} ${sent.digest("hex")}`]);
  });

  it("takes audio from a flowing feed (the session's way) only as fast as a slow ASR reads it: the rest waits in the feed, in order", async () => {
    const url = await slowAsr();
    const sent = createHash("sha256");
    const feed = new AudioFeed({ maxUnreadBytes: TOTAL });
    const stt = createStt({ url, uuid: UUID, timeouts: timeouts(2_000) });
    const transcripts = collect(stt(feed, new AbortController().signal));
    await sleep(50); // the request is open and the stage reads the feed
    for (let produced = 0, i = 0; produced < TOTAL; produced += CHUNK, i++) {
      const chunk = Buffer.alloc(CHUNK, i % 251);
      sent.update(chunk);
      feed.push(chunk);
    }
    // The ASR reads nothing yet: the stage took what the request's buffers hold, no more.
    expect(feed.unreadBytes).toBeGreaterThan(TOTAL / 2);
    feed.close();
    expect(await transcripts).toEqual([`${TOTAL} ${sent.digest("hex")}`]);
    expect(feed.unreadBytes).toBe(0);
  });

  it("fails with a ProviderError, without pulling more audio, when the ASR reads nothing for longer than the idle timeout", async () => {
    const url = await startPeer(ASR_PATH, (req, res) => {
      req.pause(); // answers the headers, then never reads the body
      res.writeHead(200, { "content-type": "text/plain" });
      res.flushHeaders();
    });
    let produced = 0;
    async function* endless(): AsyncGenerator<Buffer> {
      // 256 MiB is a safety stop: a stage that ignored backpressure would get there and fail the test.
      while (produced < 256 * 1024 * 1024) {
        produced += 64 * 1024;
        yield Buffer.alloc(64 * 1024);
      }
    }
    const started = performance.now();
    const stt = createStt({ url, uuid: UUID, timeouts: timeouts(300) });
    const err = await failure(collect(stt(endless(), new AbortController().signal)));
    expect(err.provider).toBe("asr");
    expect(err.message).toBe("asr: read none of the caller's audio for 300 ms");
    expect(performance.now() - started).toBeGreaterThanOrEqual(300);
    expect(produced).toBeLessThan(64 * 1024 * 1024);
  });

  it("fails the same way when the audio flows from a feed and the ASR stops reading", async () => {
    const url = await startPeer(ASR_PATH, (req, res) => {
      req.pause();
      res.writeHead(200, { "content-type": "text/plain" });
      res.flushHeaders();
    });
    const feed = new AudioFeed({ maxUnreadBytes: 256 * 1024 * 1024 });
    const started = performance.now();
    const stt = createStt({ url, uuid: UUID, timeouts: timeouts(300) });
    const run = failure(collect(stt(feed, new AbortController().signal)));
    const pushing = setInterval(() => feed.push(Buffer.alloc(64 * 1024)), 5);
    const err = await run;
    clearInterval(pushing);
    expect(err.message).toBe("asr: read none of the caller's audio for 300 ms");
    expect(performance.now() - started).toBeGreaterThanOrEqual(300);
  });

  it("fails at once when the caller's audio feed overflows (an ASR that stops reading never grows memory)", async () => {
    const url = await startPeer(ASR_PATH, (req, res) => {
      req.pause();
      res.writeHead(200, { "content-type": "text/plain" });
      res.flushHeaders();
    });
    // As the session wires it: the feed's overflow aborts the stream with its reason.
    const stop = new AbortController();
    const feed = new AudioFeed({ onOverflow: (err) => stop.abort(err) });
    const stt = createStt({ url, uuid: UUID, timeouts: timeouts(60_000) });
    const run = failure(collect(stt(feed, stop.signal)));
    let mostUnread = 0;
    // Far more than the socket buffers take: 20 MiB, in 100 ms batches, each one given a chance to
    // go out before the next (an ASR that reads keeps the feed empty).
    for (let i = 0; i < 13_107 && !stop.signal.aborted; i++) {
      feed.push(BATCH);
      mostUnread = Math.max(mostUnread, feed.unreadBytes);
      await new Promise((r) => setImmediate(r));
    }
    expect(stop.signal.aborted).toBe(true);
    const err = await run;
    expect(err.message).toBe(`asr: stopped reading the caller's audio (over ${MAX_UNREAD_AUDIO_BYTES / 1024} KiB unread)`);
    expect(mostUnread).toBeLessThanOrEqual(MAX_UNREAD_AUDIO_BYTES);
    expect(feed.unreadBytes).toBe(0);
  });

  it("at the end of the audio, yields the ASR's last words and leaves the connection for the next stream", async () => {
    const url = await startPeer(ASR_PATH, (req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.flushHeaders();
      req.resume();
      req.on("end", () => res.end("last words\n")); // the end of the body flushes the last utterance
    });
    let connections = 0;
    peers.at(-1)?.on("connection", () => connections++);
    const stt = createStt({ url, uuid: UUID, timeouts: timeouts() });
    for (let call = 0; call < 2; call++) {
      const feed = new AudioFeed();
      const transcripts = collect(stt(feed, new AbortController().signal));
      feed.push(BATCH);
      feed.close();
      expect(await transcripts).toEqual(["last words"]);
      await sleep(20); // the socket goes back to the pool once the response is read
    }
    expect(connections).toBe(1);
  });

  it("fails within responseMs of the audio's end when the ASR never ends its response, and closes the request", async () => {
    let closed: Promise<boolean> | undefined;
    const url = await startPeer(ASR_PATH, (req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.flushHeaders();
      req.resume();
      closed = cutOff(res);
    });
    const feed = new AudioFeed();
    const stt = createStt({ url, uuid: UUID, timeouts: { responseMs: 300, idleMs: 2_000 } });
    const run = failure(collect(stt(feed, new AbortController().signal)));
    feed.push(BATCH);
    await sleep(100);
    const closedAt = performance.now();
    feed.close();
    const err = await run;
    expect(err.message).toBe("asr: did not end its response within 300 ms of the audio's end");
    expect(performance.now() - closedAt).toBeGreaterThanOrEqual(290);
    expect(performance.now() - closedAt).toBeLessThan(2_000);
    expect(await closed).toBe(true);
  });

  it("ends quietly when aborted, and the ASR sees its request closed", async () => {
    let closed: Promise<boolean> | undefined;
    const url = await startPeer(ASR_PATH, (req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.flushHeaders();
      closed = cutOff(res);
      req.once("data", () => res.write("hi"));
    });
    const feed = new AudioFeed();
    const stop = new AbortController();
    const stt = createStt({ url, uuid: UUID, timeouts: timeouts() });
    const transcripts: string[] = [];
    feed.push(BATCH);
    for await (const text of stt(feed, stop.signal)) {
      transcripts.push(text);
      setTimeout(() => stop.abort(), 50); // while the stage waits for the next transcript
    }
    expect(transcripts).toEqual(["hi"]);
    expect(await closed).toBe(true);
  });
});

describe("llm", () => {
  const turn = { uuid: UUID, message: "what are your opening hours", messages: [{ role: "user" as const, content: "hi" }] };

  it("streams the reply's events, however the peer cuts its writes", async () => {
    let request: { body: string; headers: IncomingMessage["headers"] } | undefined;
    const url = await startPeer(LLM_PATH, (req, res) => {
      let body = "";
      req.on("data", (d: Buffer) => {
        body += d.toString();
      });
      req.on("end", async () => {
        request = { body, headers: req.headers };
        res.writeHead(200, { "content-type": "application/x-ndjson" });
        for (const piece of ['{"type":"text","content":"We are op', 'en."}\n{"type":"to', 'ol","name":"hangup"}']) {
          res.write(piece);
          await sleep(20);
        }
        res.end();
      });
    });
    const llm = createLlm({ url, uuid: UUID, agentId: "support", timeouts: timeouts() });
    expect(await collect(llm(turn, new AbortController().signal))).toEqual([
      { type: "text", content: "We are open." },
      { type: "tool", name: "hangup" },
    ]);
    expect(JSON.parse(request?.body ?? "")).toEqual(turn);
    expect(request?.headers[UUID_HEADER]).toBe(UUID);
    expect(request?.headers[AGENT_HEADER]).toBe("support");
  });

  it("rejects a malformed event stream with a ProviderError of the llm", async () => {
    const url = await startPeer(LLM_PATH, (req, res) => {
      req.resume();
      req.on("end", async () => {
        res.writeHead(200).write('{"type":"text","content":"We are"}');
        await sleep(20);
        res.end("<html>oops</html>");
      });
    });
    const llm = createLlm({ url, uuid: UUID, agentId: "support", timeouts: timeouts() });
    const events: unknown[] = [];
    const err = await failure(
      (async () => {
        for await (const event of llm(turn, new AbortController().signal)) events.push(event);
      })(),
    );
    expect(err.provider).toBe("llm");
    expect(err.message).toMatch(/^llm: expected a JSON object/);
    expect(events).toEqual([{ type: "text", content: "We are" }]);
  });

  it("rejects an event outside the contract", async () => {
    const url = await startPeer(LLM_PATH, (req, res) => {
      req.resume();
      req.on("end", () => res.writeHead(200).end('{"type":"tool","name":"format_disk"}'));
    });
    const llm = createLlm({ url, uuid: UUID, agentId: "support", timeouts: timeouts() });
    const err = await failure(collect(llm(turn, new AbortController().signal)));
    expect(err.message).toMatch(/^llm: unexpected event/);
  });

  it("ends quietly when aborted mid-stream, and the peer sees its request closed", async () => {
    let closed: Promise<boolean> | undefined;
    const url = await startPeer(LLM_PATH, (req, res) => {
      req.resume();
      req.on("end", () => {
        res.writeHead(200);
        closed = cutOff(res);
        res.write('{"type":"text","content":"Let me think"}'); // and never ends
      });
    });
    const llm = createLlm({ url, uuid: UUID, agentId: "support", timeouts: timeouts() });
    const stop = new AbortController();
    const events: unknown[] = [];
    for await (const event of llm(turn, stop.signal)) {
      events.push(event);
      setTimeout(() => stop.abort(), 50);
    }
    expect(events).toHaveLength(1);
    expect(await closed).toBe(true);
  });

  it("fails with the abort's reason when that is a ProviderError (a reply's deadline)", async () => {
    const url = await startPeer(LLM_PATH, (req) => req.resume()); // never answers
    const llm = createLlm({ url, uuid: UUID, agentId: "support", timeouts: timeouts() });
    const stop = new AbortController();
    const deadline = new ProviderError("llm", "reply took over 100 ms");
    setTimeout(() => stop.abort(deadline), 100);
    expect(await failure(collect(llm(turn, stop.signal)))).toBe(deadline);
  });
});

describe("tts", () => {
  it("streams the audio chunk by chunk as the peer synthesizes it", async () => {
    let body = "";
    let chunksSent = 0;
    const url = await startPeer(TTS_PATH, (req, res) => {
      req.on("data", (d: Buffer) => {
        body += d.toString();
      });
      req.on("end", async () => {
        res.writeHead(200, { "content-type": "audio/l16" });
        for (let i = 1; i <= 3; i++) {
          res.write(Buffer.alloc(1_600, i));
          chunksSent++;
          await sleep(100);
        }
        res.end();
      });
    });
    const tts = createTts({ url, uuid: UUID, timeouts: timeouts() });
    const chunks: Buffer[] = [];
    const sentWhenReceived: number[] = [];
    for await (const pcm of tts("Hello.", new AbortController().signal)) {
      chunks.push(pcm);
      sentWhenReceived.push(chunksSent);
    }
    expect(JSON.parse(body)).toEqual({ text: "Hello." });
    expect(Buffer.concat(chunks)).toEqual(Buffer.concat([1, 2, 3].map((i) => Buffer.alloc(1_600, i))));
    // The first audio came while the peer was still synthesizing.
    expect(sentWhenReceived[0]).toBe(1);
  });

  it("ends quietly when aborted, and the peer sees its request closed", async () => {
    let closed: Promise<boolean> | undefined;
    let chunksSent = 0;
    const url = await startPeer(TTS_PATH, (req, res) => {
      req.resume();
      req.on("end", () => {
        res.writeHead(200, { "content-type": "audio/l16" });
        closed = cutOff(res);
        const timer = setInterval(() => {
          chunksSent++;
          res.write(Buffer.alloc(1_600));
        }, 50);
        res.on("close", () => clearInterval(timer));
      });
    });
    const tts = createTts({ url, uuid: UUID, timeouts: timeouts() });
    const stop = new AbortController();
    let received = 0;
    for await (const _ of tts("A very long sentence.", stop.signal)) {
      if (++received === 2) stop.abort();
    }
    expect(received).toBe(2);
    expect(await closed).toBe(true);
    const sentAtClose = chunksSent;
    await sleep(200);
    expect(chunksSent).toBe(sentAtClose);
  });

  it("fails as stalled when the peer sends nothing for the idle timeout while the reader waits — not while the reader does not pull", async () => {
    const url = await startPeer(TTS_PATH, (req, res) => {
      req.resume();
      req.on("end", async () => {
        res.writeHead(200, { "content-type": "audio/l16" });
        res.write(Buffer.alloc(1_600, 1));
        await sleep(100);
        res.write(Buffer.alloc(1_600, 2));
        // ... then nothing more, and no end: a stalled synthesis.
      });
    });
    const tts = createTts({ url, uuid: UUID, timeouts: timeouts(300) });
    const started = performance.now();
    const received: number[] = [];
    const err = await failure(
      (async () => {
        for await (const pcm of tts("Hello.", new AbortController().signal)) {
          received.push(pcm[0] as number);
          // The reader holds the first chunk for twice the idle timeout (a reply waiting for room
          // in the outbound queue): the provider is not stalled meanwhile.
          if (received.length === 1) await sleep(600);
        }
      })(),
    );
    expect(received).toEqual([1, 2]);
    expect(err.message).toBe("tts: stream stalled for 300 ms");
    expect(performance.now() - started).toBeGreaterThanOrEqual(900);
  });

  it("fails with a ProviderError naming the HTTP status", async () => {
    const url = await startPeer(TTS_PATH, (req, res) => {
      req.resume();
      res.writeHead(500).end("boom");
    });
    const tts = createTts({ url, uuid: UUID, timeouts: timeouts() });
    const err = await failure(collect(tts("Hello.", new AbortController().signal)));
    expect(err.message).toBe("tts: answered HTTP 500");
  });
});
