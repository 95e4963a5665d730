// The scripted LLM: deterministic replies from configuration, the offline default. Each agent
// has intents (keywords -> reply, optionally a tool) and a fallback; the reply streams as AVR
// text events a few words at a time, so the core's sentence splitter and TTS overlap for real.
import { AGENT_HEADER, LLM_PATH, type TLlmEvent, ZPromptRequestSchema } from "@dsai/contracts";
import { z } from "zod";
import { readJson, serve, type TService } from "./http.ts";

const ZIntentSchema = z.strictObject({
  name: z.string().min(1).max(64),
  /** Lower-case words or phrases; the intent matches when the message contains any of them. */
  keywords: z.array(z.string().trim().toLowerCase().min(1).max(200)).min(1),
  reply: z.string().min(1).max(4_000),
  tool: z.enum(["hangup", "transfer"]).optional(),
  /** The transfer target (an extension or number the dialplan knows). */
  target: z.string().max(80).optional(),
});

const ZAgentScriptSchema = z.strictObject({
  intents: z.array(ZIntentSchema).max(500).default([]),
  fallback: z.string().min(1).max(4_000).default("Sorry, I did not understand. Could you say that again?"),
});
export type TAgentScript = z.infer<typeof ZAgentScriptSchema>;

export const ZScriptSchema = z.strictObject({
  /** Scripts by agent id (sent by the core in the X-Agent-Id header). */
  agents: z.record(z.string(), ZAgentScriptSchema).default({}),
  /** The script of agents not listed above. */
  default: ZAgentScriptSchema.default({ intents: [], fallback: "Sorry, I did not understand. Could you say that again?" }),
});
export type TScript = z.infer<typeof ZScriptSchema>;

export type TScriptedLlmConfig = {
  script: TScript;
  /** Pause between streamed chunks, to behave like a real model in tests and benchmarks. */
  chunkDelayMs: number;
  /** Words per streamed chunk. */
  wordsPerChunk: number;
};

const normalize = (text: string) =>
  ` ${text
    .toLowerCase()
    .replace(/[^a-z0-9' ]+/g, " ")
    .replace(/\s+/g, " ")
    .trim()} `;

/** The events answering `message`: the first intent with a keyword in it, else the fallback. */
export function scriptedReply(script: TAgentScript, message: string, wordsPerChunk = 3): TLlmEvent[] {
  const said = normalize(message);
  const intent = script.intents.find((i) => i.keywords.some((k) => said.includes(normalize(k))));
  const words = (intent?.reply ?? script.fallback).split(/(?<=\s)/);
  const events: TLlmEvent[] = [];
  for (let i = 0; i < words.length; i += wordsPerChunk) events.push({ type: "text", content: words.slice(i, i + wordsPerChunk).join("") });
  if (intent?.tool === "hangup") events.push({ type: "tool", name: "hangup" });
  if (intent?.tool === "transfer") events.push({ type: "tool", name: "transfer", arguments: { target: intent.target ?? "" } });
  return events;
}

export async function startScriptedLlmService(config: TScriptedLlmConfig, listen: { host: string; port: number }): Promise<TService> {
  return serve(
    {
      [`POST ${LLM_PATH}`]: async (req, res) => {
        const prompt = await readJson(req, ZPromptRequestSchema, 1024 * 1024);
        const agentId = req.headers[AGENT_HEADER];
        const script = (typeof agentId === "string" && config.script.agents[agentId]) || config.script.default;
        res.writeHead(200, { "content-type": "application/x-ndjson" });
        let closed = false;
        res.on("close", () => {
          closed = true;
        });
        for (const event of scriptedReply(script, prompt.message, config.wordsPerChunk)) {
          if (closed) return; // barge-in: the core stopped listening
          res.write(`${JSON.stringify(event)}\n`);
          if (config.chunkDelayMs > 0) await new Promise((r) => setTimeout(r, config.chunkDelayMs));
        }
        res.end();
      },
    },
    listen,
  );
}
