import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { MAX_ASR_BACKLOG_BYTES, openAsrStream } from "../src/pipeline/provider-clients.ts";
import { SentenceSplitter } from "../src/pipeline/sentence-splitter.ts";
import { DEFAULT_VAD, VoiceActivity } from "../src/pipeline/vad.ts";

describe("sentence splitter", () => {
  it("emits each sentence as soon as it is complete, however the text is streamed", () => {
    const text = "Hello there! Dr. Smith is in at 3.5 today. Can I help? Yes";
    for (let size = 1; size < 12; size++) {
      const splitter = new SentenceSplitter();
      const out: string[] = [];
      for (let i = 0; i < text.length; i += size) out.push(...splitter.push(text.slice(i, i + size)));
      out.push(...splitter.flush());
      expect(out).toEqual(["Hello there!", "Dr. Smith is in at 3.5 today.", "Can I help?", "Yes"]);
    }
  });

  it("cuts a run-on sentence so TTS never waits for it", () => {
    const splitter = new SentenceSplitter();
    const out = splitter.push("word ".repeat(200));
    expect(out.length).toBeGreaterThan(2);
    for (const s of out) expect(s.length).toBeLessThanOrEqual(240);
  });
});

describe("voice activity", () => {
  const tone = (amplitude: number) => {
    const frame = Buffer.alloc(320);
    for (let i = 0; i < 160; i++) frame.writeInt16LE(Math.round(amplitude * Math.sin(i / 3)), i * 2);
    return frame;
  };

  it("starts after 60 ms of voice, ignores clicks, and ends after the hangover", () => {
    const events: string[] = [];
    const vad = new VoiceActivity(DEFAULT_VAD, { onSpeechStart: () => events.push("start"), onSpeechEnd: () => events.push("end") });
    vad.push(tone(5000));
    vad.push(tone(0));
    expect(events).toEqual([]); // a click
    for (let i = 0; i < 3; i++) vad.push(tone(5000));
    expect(events).toEqual(["start"]);
    for (let i = 0; i < DEFAULT_VAD.hangoverFrames - 1; i++) vad.push(tone(10));
    expect(events).toEqual(["start"]);
    vad.push(tone(10));
    expect(events).toEqual(["start", "end"]);
  });
});

describe("resampling to 8 kHz", () => {
  it("keeps 8 kHz as is and averages higher rates down, keeping a tone's level", async () => {
    const { toTelephonyRate } = await import("../src/pipeline/resample.ts");
    const pcm8 = Buffer.from(Int16Array.from([1, 2, 3]).buffer);
    expect(toTelephonyRate(pcm8, 8_000)).toBe(pcm8);
    const pcm16 = Buffer.from(Int16Array.from([100, 300, -100, -300]).buffer);
    expect(Array.from(new Int16Array(toTelephonyRate(pcm16, 16_000).buffer.slice(0)))).toEqual([200, -200]);
    // 20 ms of a 400 Hz tone at 48 kHz -> 160 samples of about the same loudness.
    const tone = Buffer.alloc(960 * 2);
    for (let i = 0; i < 960; i++) tone.writeInt16LE(Math.round(8_000 * Math.sin((2 * Math.PI * 400 * i) / 48_000)), i * 2);
    const down = toTelephonyRate(tone, 48_000);
    expect(down.length).toBe(320);
    const rms = (b: Buffer) =>
      Math.sqrt(Array.from({ length: b.length / 2 }, (_, i) => b.readInt16LE(i * 2) ** 2).reduce((a, x) => a + x, 0) / (b.length / 2));
    expect(rms(down) / rms(tone)).toBeGreaterThan(0.9);
  });
});

describe("the ASR upload", () => {
  it("fails the stream, without buffering more, when the ASR stops reading the caller's audio", async () => {
    // A faithful ASR peer that answers the headers and then never reads the request body.
    const server = createServer((req, res) => {
      req.pause();
      res.writeHead(200, { "content-type": "text/plain" });
      res.flushHeaders();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const errors: string[] = [];
    const asr = openAsrStream(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, {
      uuid: "00000000-0000-4000-8000-000000000000",
      timeouts: { responseMs: 2_000, idleMs: 2_000 },
      onTranscript: () => {},
      onError: (err) => errors.push(err.message),
    });
    const frame = Buffer.alloc(320);
    // Far more than the socket buffers take: 20 MiB, a frame at a time, yielding now and then.
    for (let i = 0; i < 65_536 && errors.length === 0; i++) {
      asr.write(frame);
      if (i % 256 === 0) await new Promise((r) => setImmediate(r));
    }
    asr.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    expect(errors).toEqual([`asr: stopped reading the caller's audio (over ${MAX_ASR_BACKLOG_BYTES / 1024} KiB unread)`]);
  });
});
