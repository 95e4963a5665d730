// An LLM provider for real deployments: the AVR LLM contract in front of any OpenAI-compatible
// chat completions API (streaming). Text deltas become AVR text events; the model may call the
// agent's tools (hang up, transfer), which become DSAI tool events. The API key never leaves
// this service's configuration.
import { LLM_PATH, type TLlmEvent, ZPromptRequestSchema } from "@dsai/contracts";
import { z } from "zod";
import { HttpError, readJson, serve, type TService } from "./http.ts";

export const ZOpenAiConfigSchema = z.object({
  /** e.g. https://api.example.com/v1 — the service POSTs to `<baseUrl>/chat/completions`. */
  baseUrl: z.string().url(),
  apiKey: z.string().min(1),
  model: z.string().min(1).max(200),
  /** Prepended as the system message when the request carries none. */
  systemPrompt: z.string().max(20_000).default(""),
  temperature: z.number().min(0).max(2).default(0.7),
  timeoutMs: z.number().int().min(1_000).max(120_000).default(30_000),
});
export type TOpenAiConfig = z.infer<typeof ZOpenAiConfigSchema>;

const TOOLS = [
  {
    type: "function",
    function: { name: "hangup", description: "End the call after your last sentence.", parameters: { type: "object", properties: {} } },
  },
  {
    type: "function",
    function: {
      name: "transfer",
      description: "Transfer the caller to a human or another extension.",
      parameters: { type: "object", properties: { target: { type: "string", description: "extension or number" } }, required: ["target"] },
    },
  },
];

const ZChunkSchema = z.object({
  choices: z
    .array(
      z.object({
        delta: z
          .object({
            content: z.string().nullish(),
            tool_calls: z
              .array(
                z.object({
                  index: z.number().int(),
                  function: z.object({ name: z.string().nullish(), arguments: z.string().nullish() }).optional(),
                }),
              )
              .nullish(),
          })
          .optional(),
      }),
    )
    .default([]),
});

/** Turns the server-sent events of a streamed chat completion into AVR/DSAI events. */
export async function* completionEvents(body: AsyncIterable<Uint8Array>): AsyncGenerator<TLlmEvent> {
  const decoder = new TextDecoder();
  const tools = new Map<number, { name: string; args: string }>();
  let buffer = "";
  for await (const bytes of body) {
    buffer += decoder.decode(bytes, { stream: true });
    const lines = buffer.split("\n");
    buffer = lines.pop() ?? "";
    for (const raw of lines) {
      const line = raw.trim();
      if (!line.startsWith("data:")) continue; // comments, event names, keep-alives
      const data = line.slice(5).trim();
      if (data === "[DONE]") continue;
      let chunk: z.infer<typeof ZChunkSchema>;
      try {
        chunk = ZChunkSchema.parse(JSON.parse(data));
      } catch {
        throw new HttpError(502, "upstream_invalid", "the model API streamed an invalid chunk");
      }
      const delta = chunk.choices[0]?.delta;
      if (delta?.content) yield { type: "text", content: delta.content };
      for (const call of delta?.tool_calls ?? []) {
        const t = tools.get(call.index) ?? { name: "", args: "" };
        t.name += call.function?.name ?? "";
        t.args += call.function?.arguments ?? "";
        tools.set(call.index, t);
      }
    }
  }
  // Tool calls arrive in pieces; they are complete only at the end of the stream.
  for (const t of tools.values()) {
    if (t.name === "hangup") yield { type: "tool", name: "hangup" };
    if (t.name === "transfer") {
      let target = "";
      try {
        target = String((JSON.parse(t.args || "{}") as { target?: unknown }).target ?? "");
      } catch {
        target = "";
      }
      yield { type: "tool", name: "transfer", arguments: { target } };
    }
  }
}

export async function startOpenAiLlmService(config: TOpenAiConfig, listen: { host: string; port: number }): Promise<TService> {
  const endpoint = `${config.baseUrl.replace(/\/+$/, "")}/chat/completions`;
  return serve(
    {
      [`POST ${LLM_PATH}`]: async (req, res) => {
        const prompt = await readJson(req, ZPromptRequestSchema, 1024 * 1024);
        const messages =
          prompt.messages.some((m) => m.role === "system") || !config.systemPrompt
            ? prompt.messages
            : [{ role: "system", content: config.systemPrompt }, ...prompt.messages];
        const abort = new AbortController();
        res.on("close", () => abort.abort()); // barge-in: stop paying for tokens nobody hears
        const timeout = setTimeout(() => abort.abort(), config.timeoutMs);
        try {
          let upstream: Response;
          try {
            upstream = await fetch(endpoint, {
              method: "POST",
              headers: { "content-type": "application/json", authorization: `Bearer ${config.apiKey}` },
              body: JSON.stringify({ model: config.model, messages, stream: true, temperature: config.temperature, tools: TOOLS }),
              signal: abort.signal,
            });
          } catch (err) {
            throw new HttpError(502, "upstream_unreachable", `the model API is unreachable: ${(err as Error).message}`);
          }
          if (!upstream.ok || !upstream.body) {
            throw new HttpError(502, "upstream_error", `the model API answered HTTP ${upstream.status}`);
          }
          res.writeHead(200, { "content-type": "application/x-ndjson" });
          for await (const event of completionEvents(upstream.body as unknown as AsyncIterable<Uint8Array>)) {
            res.write(`${JSON.stringify(event)}\n`);
          }
          res.end();
        } finally {
          clearTimeout(timeout);
        }
      },
    },
    listen,
  );
}
