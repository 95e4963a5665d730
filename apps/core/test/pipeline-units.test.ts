import { describe, expect, it } from "vitest";
import { AudioFeed } from "../src/pipeline/audio-feed.ts";
import { ProviderError } from "../src/pipeline/provider-clients.ts";
import { SentenceSplitter } from "../src/pipeline/sentence-splitter.ts";
import { DEFAULT_VAD, frameRms, VoiceActivity } from "../src/pipeline/vad.ts";

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

describe("the caller's audio feed", () => {
  const batch = (fill: number) => Buffer.alloc(1_600, fill);

  it("hands the batches over in order, to a reader that is behind or one that waits", async () => {
    const feed = new AudioFeed();
    const reader = feed[Symbol.asyncIterator]();
    feed.push(batch(1));
    feed.push(batch(2));
    expect(feed.unreadBytes).toBe(3_200);
    expect((await reader.next()).value).toEqual(batch(1));
    expect((await reader.next()).value).toEqual(batch(2));
    const waiting = reader.next();
    feed.push(batch(3));
    expect((await waiting).value).toEqual(batch(3));
    expect(feed.unreadBytes).toBe(0);
    feed.close();
    expect((await reader.next()).done).toBe(true);
  });

  it("flows: each batch reaches the reader as it is pushed, waits while the reader is full, and ends after what waits", () => {
    const feed = new AudioFeed();
    feed.push(batch(1)); // before the reader: handed over when it starts
    const taken: number[] = [];
    let full = false;
    const ends: unknown[] = [];
    const flow = feed.flow({
      take: (pcm) => {
        taken.push(pcm[0] as number);
        return !full;
      },
      end: (err) => ends.push(err),
    });
    feed.push(batch(2));
    expect(taken).toEqual([1, 2]); // synchronously: no promise in between
    full = true;
    feed.push(batch(3)); // taken; the reader is full now
    feed.push(batch(4));
    feed.push(batch(5));
    expect(taken).toEqual([1, 2, 3]);
    expect(feed.unreadBytes).toBe(3_200);
    feed.close();
    expect(ends).toEqual([]); // not while batches wait
    full = false;
    flow.resume();
    expect(taken).toEqual([1, 2, 3, 4, 5]);
    expect(ends).toEqual([undefined]);
  });

  it("flows: an overflow reaches the reader at once, even while it is full", () => {
    const feed = new AudioFeed({ maxUnreadBytes: 4_096 });
    const ends: unknown[] = [];
    feed.flow({ take: () => false, end: (err) => ends.push(err) });
    for (let i = 0; i < 4; i++) feed.push(batch(i));
    expect(ends).toHaveLength(1);
    expect(ends[0]).toBeInstanceOf(ProviderError);
  });

  it("fails past its cap: the audio is dropped, the reader and the owner are told why", async () => {
    const overflows: ProviderError[] = [];
    const feed = new AudioFeed({ maxUnreadBytes: 4_096, onOverflow: (err) => overflows.push(err) });
    feed.push(batch(1));
    feed.push(batch(2));
    expect(overflows).toEqual([]);
    feed.push(batch(3)); // 4,800 bytes unread
    expect(overflows.map((e) => e.message)).toEqual(["asr: stopped reading the caller's audio (over 4 KiB unread)"]);
    expect(feed.unreadBytes).toBe(0);
    feed.push(batch(4)); // dropped
    const reader = feed[Symbol.asyncIterator]();
    await expect(reader.next()).rejects.toBe(overflows[0]);
    expect((await reader.next()).done).toBe(true);
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

  it("measures a frame the same at an odd offset (a view into the socket's read, after the header)", () => {
    const frame = tone(-7000);
    const read = Buffer.alloc(3 + frame.length);
    frame.copy(read, 3);
    const view = read.subarray(3);
    expect(view.byteOffset % 2).toBe(1);
    expect(frameRms(view)).toBeCloseTo(frameRms(frame), 9);
    expect(frameRms(frame)).toBeGreaterThan(4000);
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
