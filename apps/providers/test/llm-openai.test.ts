// The OpenAI-compatible LLM provider against a faithful peer of the streaming chat completions
// protocol (server-sent events on loopback, chunks cut at awkward places, tool calls in pieces).
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { JsonObjectStream, LLM_PATH } from "@dsai/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOpenAiLlmService, type TService, ZOpenAiConfigSchema } from "../src/index.ts";

let upstream: Server;
let llm: TService;
const seen: { auth: string | undefined; body: { model: string; stream: boolean; messages: { role: string; content: string }[] } }[] = [];

const sse = (o: unknown) => `data: ${JSON.stringify(o)}\n\n`;

beforeAll(async () => {
  upstream = createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => {
      body += d.toString();
    });
    req.on("end", () => {
      if (req.url !== "/v1/chat/completions") return res.writeHead(404).end();
      const parsed = JSON.parse(body);
      seen.push({ auth: req.headers.authorization, body: parsed });
      const last = parsed.messages.at(-1).content as string;
      if (last === "fail") return res.writeHead(429, { "content-type": "application/json" }).end('{"error":{"message":"rate limited"}}');
      res.writeHead(200, { "content-type": "text/event-stream" });
      const stream =
        last === "bye"
          ? [
              sse({ choices: [{ delta: { content: "Goodbye!" } }] }),
              sse({ choices: [{ delta: { tool_calls: [{ index: 0, function: { name: "trans", arguments: "" } }] } }] }),
              sse({ choices: [{ delta: { tool_calls: [{ index: 0, function: { name: "fer", arguments: '{"tar' } }] } }] }),
              sse({ choices: [{ delta: { tool_calls: [{ index: 0, function: { arguments: 'get":"200"}' } }] } }] }),
              "data: [DONE]\n\n",
            ].join("")
          : [
              ": keep-alive\n\n",
              sse({ choices: [{ delta: { role: "assistant" } }] }),
              sse({ choices: [{ delta: { content: "We open " } }] }),
              sse({ choices: [{ delta: { content: "at nine." } }] }),
              "data: [DONE]\n\n",
            ].join("");
      // Cut the stream at awkward places, as TCP may.
      let i = 0;
      const timer = setInterval(() => {
        if (i >= stream.length) {
          clearInterval(timer);
          return res.end();
        }
        res.write(stream.slice(i, i + 7));
        i += 7;
      }, 1);
    });
  });
  await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", r));
  const config = ZOpenAiConfigSchema.parse({
    baseUrl: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/v1/`,
    apiKey: "sk-test-key",
    model: "test-model",
    systemPrompt: "You are Acme's receptionist.",
  });
  llm = await startOpenAiLlmService(config, { host: "127.0.0.1", port: 0 });
});
afterAll(async () => {
  await llm?.close();
  upstream?.closeAllConnections();
  await new Promise((r) => upstream?.close(r));
});

async function prompt(message: string): Promise<{ status: number; events: unknown[] }> {
  const res = await fetch(`${llm.url}${LLM_PATH}`, {
    method: "POST",
    body: JSON.stringify({ uuid: "u-1", message, messages: [{ role: "user", content: message }] }),
  });
  if (res.status !== 200) return { status: res.status, events: [await res.json()] };
  const stream = new JsonObjectStream();
  const events: unknown[] = [];
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) events.push(...stream.push(Buffer.from(chunk).toString()));
  return { status: 200, events };
}

describe("OpenAI-compatible LLM", () => {
  it("streams text deltas as AVR text events, with the key, model and system prompt sent upstream", async () => {
    const { events } = await prompt("when do you open?");
    expect(events).toEqual([
      { type: "text", content: "We open " },
      { type: "text", content: "at nine." },
    ]);
    const request = seen.at(-1);
    expect(request?.auth).toBe("Bearer sk-test-key");
    expect(request?.body.model).toBe("test-model");
    expect(request?.body.stream).toBe(true);
    expect(request?.body.messages[0]).toEqual({ role: "system", content: "You are Acme's receptionist." });
  });

  it("assembles a tool call streamed in pieces into one DSAI tool event", async () => {
    const { events } = await prompt("bye");
    expect(events).toEqual([
      { type: "text", content: "Goodbye!" },
      { type: "tool", name: "transfer", arguments: { target: "200" } },
    ]);
  });

  it("answers 502 when the model API fails, without leaking the key", async () => {
    const { status, events } = await prompt("fail");
    expect(status).toBe(502);
    expect(JSON.stringify(events)).not.toContain("sk-test-key");
  });
});
