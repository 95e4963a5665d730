// The provider contracts DSAI speaks, compatible with Agent Voice Response (AVR) connectors so
// their images plug in unchanged. Every request carries `X-UUID: <call uuid>`.
//   ASR  POST /speech-to-text-stream  body: chunked PCM s16le 8 kHz mono (audio/l16);
//        response: a long-lived stream of plain-text final transcripts, one chunk each.
//   LLM  POST /prompt-stream          body: { uuid, message, messages };
//        response: a stream of JSON objects { type: "text", content } (see llm-stream.ts).
//   TTS  POST /text-to-speech-stream  body: { text }; response: raw PCM s16le 8 kHz mono.
import { z } from "zod";

export const ASR_PATH = "/speech-to-text-stream";
export const LLM_PATH = "/prompt-stream";
export const TTS_PATH = "/text-to-speech-stream";
export const UUID_HEADER = "x-uuid";
/** DSAI addition: which agent a call belongs to, so one scripted LLM can serve many agents. */
export const AGENT_HEADER = "x-agent-id";

/** Telephony audio everywhere between the core and its providers. */
export const SAMPLE_RATE = 8_000;
export const PCM_CONTENT_TYPE = "audio/l16; rate=8000; channels=1";

export const ZChatMessageSchema = z.object({
  role: z.enum(["system", "user", "assistant"]),
  content: z.string().max(20_000),
});
export type TChatMessage = z.infer<typeof ZChatMessageSchema>;

export const ZPromptRequestSchema = z.object({
  uuid: z.string().min(1).max(64),
  message: z.string().max(20_000),
  messages: z.array(ZChatMessageSchema).max(1_000),
});
export type TPromptRequest = z.infer<typeof ZPromptRequestSchema>;

export const ZTtsRequestSchema = z.object({
  text: z.string().trim().min(1, "text is empty").max(2_000, "at most 2,000 characters per request"),
});
export type TTtsRequest = z.infer<typeof ZTtsRequestSchema>;

/**
 * One object of the LLM stream. `text` and `audio` are AVR's; `tool` is DSAI's way for an LLM
 * service to call an agent tool (AVR connectors run their tools themselves and never send it).
 */
export const ZLlmEventSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("text"), content: z.string() }),
  z.object({ type: z.literal("audio"), content: z.string() }),
  z.object({
    type: z.literal("tool"),
    name: z.enum(["hangup", "transfer"]),
    arguments: z.record(z.string(), z.string()).optional(),
  }),
]);
export type TLlmEvent = z.infer<typeof ZLlmEventSchema>;
