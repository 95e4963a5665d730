// The speech-to-speech WebSocket contract. The core sends `init` once, then 20 ms audio frames
// (base64 PCM s16le 8 kHz) and DTMF digits; the service answers with audio, transcripts,
// `interruption` (the caller spoke: drop queued agent audio) and errors.
import { z } from "zod";

const ZBase64Audio = z
  .string()
  .max(64 * 1024)
  .regex(/^[A-Za-z0-9+/]*={0,2}$/, "base64 audio");

export const ZStsClientMessageSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("init"), uuid: z.string().min(1).max(64), agentId: z.string().max(64).optional() }),
  z.object({ type: z.literal("audio"), audio: ZBase64Audio }),
  z.object({ type: z.literal("dtmf_digit"), digit: z.string().regex(/^[0-9*#A-D]$/) }),
]);
export type TStsClientMessage = z.infer<typeof ZStsClientMessageSchema>;

export const ZStsServerMessageSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("audio"), audio: ZBase64Audio }),
  z.object({ type: z.literal("interruption") }),
  z.object({ type: z.literal("transcript"), role: z.enum(["user", "agent"]), text: z.string().max(20_000) }),
  z.object({ type: z.literal("error"), message: z.string().max(2_000) }),
]);
export type TStsServerMessage = z.infer<typeof ZStsServerMessageSchema>;
