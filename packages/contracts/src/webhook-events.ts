// The events a webhook can subscribe to (AVR event names). Apart from the signatures (node:crypto),
// so pages in the browser can list them.
import { z } from "zod";

export const WEBHOOK_EVENTS = [
  "call_initiated",
  "call_started",
  "call_ended",
  "transcription",
  "interruption",
  "dtmf_digit",
  "error",
] as const;
export const ZWebhookEventSchema = z.enum(WEBHOOK_EVENTS);
export type TWebhookEvent = (typeof WEBHOOK_EVENTS)[number];
