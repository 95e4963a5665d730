import { AGENT_HEADER, JsonObjectStream, LLM_PATH } from "@dsai/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scriptedReply, startScriptedLlmService, type TService, ZScriptSchema } from "../src/index.ts";

const script = ZScriptSchema.parse({
  agents: {
    support: {
      intents: [
        { name: "hours", keywords: ["opening hours", "open"], reply: "We are open from nine to five. Anything else?" },
        { name: "person", keywords: ["person", "dtmf 0"], reply: "Let me put you through.", tool: "transfer", target: "200" },
        { name: "bye", keywords: ["goodbye", "bye"], reply: "Goodbye!", tool: "hangup" },
      ],
      fallback: "Sorry, could you repeat that?",
    },
  },
});

let llm: TService;
beforeAll(async () => {
  llm = await startScriptedLlmService({ script, chunkDelayMs: 5, wordsPerChunk: 2 }, { host: "127.0.0.1", port: 0 });
});
afterAll(async () => {
  await llm?.close();
});

async function prompt(message: string, agent = "support"): Promise<unknown[]> {
  const res = await fetch(`${llm.url}${LLM_PATH}`, {
    method: "POST",
    headers: { "content-type": "application/json", [AGENT_HEADER]: agent, "x-uuid": "u-1" },
    body: JSON.stringify({ uuid: "u-1", message, messages: [{ role: "user", content: message }] }),
  });
  expect(res.status).toBe(200);
  const stream = new JsonObjectStream();
  const events: unknown[] = [];
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) events.push(...stream.push(Buffer.from(chunk).toString()));
  expect(stream.complete).toBe(true);
  return events;
}

const text = (events: unknown[]) =>
  events
    .filter((e): e is { type: "text"; content: string } => (e as { type: string }).type === "text")
    .map((e) => e.content)
    .join("");

describe("scripted LLM", () => {
  it("streams the matching intent's reply in chunks, deterministically", async () => {
    const events = await prompt("what are your opening hours");
    expect(events.length).toBeGreaterThan(3);
    expect(text(events)).toBe("We are open from nine to five. Anything else?");
    expect(await prompt("what are your opening hours")).toEqual(events);
  });

  it("ends with a tool event for hang-up and transfer intents, DTMF included", async () => {
    expect((await prompt("ok goodbye")).at(-1)).toEqual({ type: "tool", name: "hangup" });
    expect((await prompt("DTMF 0")).at(-1)).toEqual({ type: "tool", name: "transfer", arguments: { target: "200" } });
  });

  it("falls back when nothing matches, and uses the default script for unknown agents", async () => {
    expect(text(await prompt("the weather"))).toBe("Sorry, could you repeat that?");
    expect(text(await prompt("opening hours", "sales"))).toMatch(/did not understand/);
  });

  it("matches whole words only", () => {
    expect(scriptedReply(script.agents.support ?? script.default, "a bye-law question")[0]).toEqual({ type: "text", content: "Goodbye!" });
    expect(scriptedReply(script.agents.support ?? script.default, "reopen")[0]).toMatchObject({ content: expect.stringMatching(/^Sorry/) });
  });

  it("answers bad input with 400 naming the field", async () => {
    const res = await fetch(`${llm.url}${LLM_PATH}`, { method: "POST", body: JSON.stringify({ uuid: "u", message: 3, messages: [] }) });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { field: string } }).error.field).toBe("message");
  });
});

describe("upsampler", () => {
  it("doubles the rate by interpolation, across chunks cut at odd byte offsets", async () => {
    const { Upsampler } = await import("../src/asr-pocketsphinx.ts");
    const input = Buffer.from(Int16Array.from([0, 100, 200, -200]).buffer);
    const whole = new Upsampler().push(input);
    expect(Array.from(new Int16Array(whole.buffer, whole.byteOffset, whole.length / 2))).toEqual([0, 0, 50, 100, 150, 200, 0, -200]);
    const split = new Upsampler();
    const parts = Buffer.concat([split.push(input.subarray(0, 3)), split.push(input.subarray(3))]);
    expect(parts).toEqual(whole);
  });
});
