// `npm start -w @dsai/providers -- <tts|asr|llm-scripted|llm-openai>`: one provider service, configured
// from the environment (validated; a bad value stops it with a message naming the variable).
import { readFileSync } from "node:fs";
import { z } from "zod";
import { startAsrService, ZAsrConfigSchema } from "./asr-pocketsphinx.ts";
import type { TService } from "./http.ts";
import { startOpenAiLlmService, ZOpenAiConfigSchema } from "./llm-openai.ts";
import { startScriptedLlmService, ZScriptSchema } from "./llm-scripted.ts";
import { startTtsService, ZTtsConfigSchema } from "./tts-espeak.ts";

const ZListenSchema = z.object({
  PROVIDER_HOST: z.string().default("127.0.0.1"),
  PROVIDER_PORT: z.coerce.number().int().min(0).max(65535).default(0),
});

const list = (value: string | undefined) =>
  (value ?? "")
    .split(/[,\n]/)
    .map((s) => s.trim())
    .filter(Boolean);

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new Error(`invalid ${what}:\n${parsed.error.issues.map((i) => `  ${i.path.join(".") || "(root)"}: ${i.message}`).join("\n")}`);
  }
  return parsed.data;
}

async function start(kind: string | undefined, env: NodeJS.ProcessEnv): Promise<TService> {
  const listenEnv = parse(ZListenSchema, env, "PROVIDER_HOST/PROVIDER_PORT");
  const listen = { host: listenEnv.PROVIDER_HOST, port: listenEnv.PROVIDER_PORT };
  switch (kind) {
    case "tts":
      return startTtsService(
        parse(ZTtsConfigSchema, { voice: env.TTS_VOICE, wordsPerMinute: env.TTS_WPM ? Number(env.TTS_WPM) : undefined }, "TTS_* settings"),
        listen,
      );
    case "asr":
      return startAsrService(
        parse(
          ZAsrConfigSchema,
          {
            modelDir: env.ASR_MODEL_DIR,
            phrases: list(env.ASR_PHRASES),
            endSilenceFrames: env.ASR_END_SILENCE_FRAMES ? Number(env.ASR_END_SILENCE_FRAMES) : undefined,
          },
          "ASR_* settings",
        ),
        listen,
      );
    case "llm-scripted": {
      const raw = env.LLM_SCRIPT_FILE ? readFileSync(env.LLM_SCRIPT_FILE, "utf8") : (env.LLM_SCRIPT ?? "{}");
      let json: unknown;
      try {
        json = JSON.parse(raw);
      } catch {
        throw new Error("LLM_SCRIPT / LLM_SCRIPT_FILE is not JSON");
      }
      return startScriptedLlmService(
        {
          script: parse(ZScriptSchema, json, "LLM script"),
          chunkDelayMs: parse(z.coerce.number().int().min(0).max(5_000), env.LLM_CHUNK_DELAY_MS ?? 0, "LLM_CHUNK_DELAY_MS"),
          wordsPerChunk: 3,
        },
        listen,
      );
    }
    case "llm-openai":
      return startOpenAiLlmService(
        parse(
          ZOpenAiConfigSchema,
          {
            baseUrl: env.OPENAI_BASE_URL,
            apiKey: env.OPENAI_API_KEY,
            model: env.OPENAI_MODEL,
            systemPrompt: env.LLM_SYSTEM_PROMPT,
            ...(env.OPENAI_TEMPERATURE ? { temperature: Number(env.OPENAI_TEMPERATURE) } : {}),
          },
          "OPENAI_* settings",
        ),
        listen,
      );
    default:
      throw new Error("usage: providers <tts|asr|llm-scripted|llm-openai>  (configured by environment; see apps/providers/README.md)");
  }
}

start(process.argv[2], process.env).then(
  (service) => {
    process.stdout.write(`${process.argv[2]} provider listening on ${service.url}\n`);
    const stop = () => void service.close().then(() => process.exit(0));
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  },
  (err: Error) => {
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  },
);
