import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  encodeAudio,
  encodeDtmf,
  encodeFrame,
  encodeHangup,
  encodeUuid,
  FrameDecoder,
  FrameError,
  MAX_PAYLOAD_BYTES,
  type TFrame,
} from "../src/audiosocket/frame.ts";

/** Bytes a real Asterisk 22.10.1 sent during one 2 s call (copied from the team's shared fixtures). */
const RECORDED = readFileSync(new URL("./fixtures/audiosocket-asterisk-to-core.bin", import.meta.url));

function decodeInChunks(bytes: Buffer, sizes: () => number): TFrame[] {
  const decoder = new FrameDecoder();
  const frames: TFrame[] = [];
  for (let i = 0; i < bytes.length; ) {
    const n = Math.max(1, sizes());
    frames.push(...decoder.push(bytes.subarray(i, i + n)));
    i += n;
  }
  expect(decoder.buffered).toBe(0);
  return frames;
}

describe("AudioSocket frame decoder", () => {
  it("decodes a real Asterisk call: the UUID, 98 full frames and a short last one", () => {
    const frames = decodeInChunks(RECORDED, () => RECORDED.length);
    expect(frames[0]?.kind).toBe("uuid");
    expect((frames[0] as { uuid: string }).uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const audio = frames.slice(1);
    expect(audio).toHaveLength(99);
    expect(audio.every((f) => f.kind === "audio" && f.sampleRate === 8000)).toBe(true);
    expect(audio.slice(0, 98).every((f) => f.kind === "audio" && f.pcm.length === 320)).toBe(true);
    expect(audio[98]?.kind === "audio" && audio[98].pcm.length).toBe(276);
  });

  it("gives the same frames whatever the TCP chunking (byte by byte, random, coalesced)", () => {
    const whole = decodeInChunks(RECORDED, () => RECORDED.length);
    const bytewise = decodeInChunks(RECORDED, () => 1);
    let seed = 42;
    const random = decodeInChunks(RECORDED, () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return 1 + (seed % 700);
    });
    expect(bytewise).toEqual(whole);
    expect(random).toEqual(whole);
  });

  it("round-trips every frame type it encodes, including higher-rate audio", () => {
    const uuid = "0b6e1f2a-3c4d-4e5f-8a9b-0c1d2e3f4a5b";
    const bytes = Buffer.concat([
      encodeUuid(uuid),
      encodeAudio(Buffer.alloc(320, 1)),
      encodeFrame(0x12, Buffer.alloc(640, 2)),
      encodeDtmf("#"),
      encodeFrame(0xff, Buffer.from([7])),
      encodeHangup(),
    ]);
    expect(new FrameDecoder().push(bytes)).toEqual([
      { kind: "uuid", uuid },
      { kind: "audio", sampleRate: 8000, pcm: Buffer.alloc(320, 1) },
      { kind: "audio", sampleRate: 16000, pcm: Buffer.alloc(640, 2) },
      { kind: "dtmf", digit: "#" },
      { kind: "error", code: 7 },
      { kind: "hangup" },
    ]);
  });

  it("rejects a 64 KiB length header before buffering its payload", () => {
    const decoder = new FrameDecoder();
    expect(() => decoder.push(Buffer.from([0x10, 0xff, 0xff]))).toThrow(FrameError);
    expect(() => new FrameDecoder().push(encodeFrame(0x10, Buffer.alloc(MAX_PAYLOAD_BYTES + 1)))).toThrow(/cap/);
  });

  it("rejects unknown types, malformed UUID and DTMF payloads", () => {
    expect(() => new FrameDecoder().push(Buffer.from([0x42, 0, 0]))).toThrow(/unknown frame type 0x42/);
    expect(() => new FrameDecoder().push(encodeFrame(0x01, Buffer.alloc(15)))).toThrow(/UUID frame of 15 bytes/);
    expect(() => new FrameDecoder().push(encodeFrame(0x03, Buffer.from("x")))).toThrow(/DTMF/);
  });

  it("keeps a truncated frame pending instead of inventing data", () => {
    const decoder = new FrameDecoder();
    const frame = encodeAudio(Buffer.alloc(320, 9));
    expect(decoder.push(frame.subarray(0, 100))).toEqual([]);
    expect(decoder.buffered).toBe(100);
  });
});
