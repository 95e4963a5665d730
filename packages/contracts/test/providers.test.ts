import { describe, expect, it } from "vitest";
import { decodeWav, encodeWav, JsonObjectStream, JsonStreamError, ZLlmEventSchema, ZStsClientMessageSchema } from "../src/index.ts";

describe("JSON object stream", () => {
  const objects = [
    { type: "text", content: 'He said "hi" {not a brace}' },
    { type: "text", content: "\\ and \n" },
    { type: "tool", name: "hangup" },
  ];
  const text = objects.map((o) => JSON.stringify(o)).join("");

  it("splits back-to-back and newline-separated objects however the chunks are cut", () => {
    for (const separator of ["", "\n", "\r\n", " "]) {
      const whole = objects.map((o) => JSON.stringify(o)).join(separator);
      for (let cut = 1; cut < whole.length; cut += 3) {
        const stream = new JsonObjectStream();
        const got = [...stream.push(whole.slice(0, cut)), ...stream.push(whole.slice(cut))];
        expect(got).toEqual(objects);
        expect(stream.complete).toBe(true);
      }
    }
  });

  it("handles one character at a time, and reports an unfinished object", () => {
    const stream = new JsonObjectStream();
    const got: unknown[] = [];
    for (const c of text.slice(0, -1)) got.push(...stream.push(c));
    expect(got).toEqual(objects.slice(0, 2));
    expect(stream.complete).toBe(false);
    expect(stream.push("}")).toEqual([objects[2]]);
  });

  it("throws on garbage instead of waiting forever", () => {
    expect(() => new JsonObjectStream().push("<html>")).toThrow(JsonStreamError);
    expect(() => new JsonObjectStream().push('{"a":1,}')).toThrow(JsonStreamError);
    const endless = new JsonObjectStream();
    expect(() => {
      for (let i = 0; i < 100; i++) endless.push(`{"a":"${"x".repeat(4096)}`);
    }).toThrow(/over/);
  });
});

describe("schemas", () => {
  it("accept AVR text events and DSAI tool events, refuse others", () => {
    expect(ZLlmEventSchema.parse({ type: "text", content: "Hi." })).toEqual({ type: "text", content: "Hi." });
    expect(ZLlmEventSchema.safeParse({ type: "tool", name: "rm -rf" }).success).toBe(false);
    expect(ZStsClientMessageSchema.safeParse({ type: "dtmf_digit", digit: "12" }).success).toBe(false);
  });
});

describe("WAV", () => {
  it("round-trips PCM and refuses stereo or non-WAV input", () => {
    const pcm = Buffer.from(Int16Array.from([0, 1000, -1000, 32767]).buffer);
    expect(decodeWav(encodeWav(pcm, 8000))).toEqual({ pcm, sampleRate: 8000 });
    const stereo = encodeWav(pcm, 8000);
    stereo.writeUInt16LE(2, 22);
    expect(() => decodeWav(stereo)).toThrow(/mono/);
    expect(() => decodeWav(Buffer.from("hello world!"))).toThrow(/RIFF/);
  });
});
