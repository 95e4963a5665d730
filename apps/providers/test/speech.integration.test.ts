// The offline speech services for real: espeak-ng synthesizes, PocketSphinx recognizes a Flite
// caller over HTTP on loopback, exactly as the core will call them.
import { ASR_PATH, PCM_CONTENT_TYPE, TTS_PATH } from "@dsai/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAsrService, startTtsService, type TService, ZAsrConfigSchema, ZTtsConfigSchema } from "../src/index.ts";

const loopback = { host: "127.0.0.1", port: 0 };
const PHRASES = ["what are your opening hours", "what is the price", "goodbye", "i want to talk to a person"];
let tts: TService;
let asr: TService;
let openAsr: TService;

beforeAll(async () => {
  tts = await startTtsService(ZTtsConfigSchema.parse({}), loopback);
  asr = await startAsrService(ZAsrConfigSchema.parse({ phrases: PHRASES }), loopback);
  openAsr = await startAsrService(ZAsrConfigSchema.parse({}), loopback);
});
afterAll(async () => {
  await Promise.all([tts?.close(), asr?.close(), openAsr?.close()]);
});

function rms(pcm: Buffer): number {
  const samples = new Int16Array(pcm.buffer, pcm.byteOffset, pcm.length / 2);
  return Math.sqrt(samples.reduce((s, x) => s + x * x, 0) / samples.length);
}

/** Streams `pcm` to the ASR in 20 ms chunks and collects the transcripts it streams back. */
async function recognize(service: TService, pcm: Buffer): Promise<string[]> {
  const chunks = (async function* () {
    for (let o = 0; o < pcm.length; o += 320) yield pcm.subarray(o, o + 320);
  })();
  const res = await fetch(`${service.url}${ASR_PATH}`, {
    method: "POST",
    headers: { "content-type": "audio/l16", "x-uuid": "3f1c9a7e-0000-4000-8000-000000000001" },
    body: ReadableStream.from(chunks),
    duplex: "half",
  } as RequestInit);
  expect(res.status).toBe(200);
  const out: string[] = [];
  const decoder = new TextDecoder();
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) out.push(decoder.decode(chunk));
  // One line per utterance (the AVR contract's chunks, newline-terminated so none can merge).
  return out
    .join("")
    .split("\n")
    .filter((line) => line !== "");
}

const silence = (ms: number) => Buffer.alloc(ms * 16);

describe("espeak-ng TTS", () => {
  it("streams audible 8 kHz PCM for a sentence", async () => {
    const res = await fetch(`${tts.url}${TTS_PATH}`, {
      method: "POST",
      body: JSON.stringify({ text: "Welcome to Acme. How can I help?" }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe(PCM_CONTENT_TYPE);
    const pcm = Buffer.from(await res.arrayBuffer());
    const seconds = pcm.length / 16_000;
    expect(seconds).toBeGreaterThan(1);
    expect(seconds).toBeLessThan(6);
    expect(rms(pcm)).toBeGreaterThan(300);
  });

  it("answers bad input with 400 naming the field, and unknown paths with 404", async () => {
    const empty = await fetch(`${tts.url}${TTS_PATH}`, { method: "POST", body: JSON.stringify({ text: "  " }) });
    expect(empty.status).toBe(400);
    expect(((await empty.json()) as { error: { field: string } }).error.field).toBe("text");
    expect((await fetch(`${tts.url}${TTS_PATH}`, { method: "POST", body: "not json" })).status).toBe(400);
    expect((await fetch(`${tts.url}/nope`, { method: "POST", body: "{}" })).status).toBe(404);
  });
});

/** A caller's words, spoken by this package's own espeak-ng TTS service (8 kHz PCM). */
async function callerSpeech(text: string): Promise<Buffer> {
  const response = await fetch(`${tts.url}${TTS_PATH}`, { method: "POST", body: JSON.stringify({ text }) });
  return Buffer.from(await response.arrayBuffer());
}

describe("PocketSphinx ASR", () => {
  it("recognizes each utterance of a streamed call with a phrase grammar, one line per utterance", async () => {
    const first = await callerSpeech("what are your opening hours");
    const second = await callerSpeech("goodbye");
    const transcripts = await recognize(asr, Buffer.concat([silence(500), first, silence(1500), second, silence(1500)]));
    expect(transcripts).toEqual(["what are your opening hours", "goodbye"]);
  });

  it("transcribes with the open vocabulary too (less accurately on telephony audio)", async () => {
    const transcripts = await recognize(
      openAsr,
      Buffer.concat([silence(500), await callerSpeech("what are your opening hours"), silence(1500)]),
    );
    expect(transcripts.length).toBeGreaterThan(0);
    expect(transcripts.join(" ")).toMatch(/what|are|your|opening/);
  });

  it("refuses phrases that could inject grammar syntax", () => {
    expect(ZAsrConfigSchema.safeParse({ phrases: ["hello | <evil>"] }).success).toBe(false);
  });
});
