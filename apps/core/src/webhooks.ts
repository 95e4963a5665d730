// Webhooks (AVR event names): POST { uuid, type, timestamp, payload } to each enabled endpoint
// subscribed to the type, through the outbox (so they never block audio and survive restarts),
// signed: `X-DSAI-Timestamp: <unix s>` and `X-DSAI-Signature: v1=<hex HMAC-SHA256(secret,
// "<timestamp>.<body>")>`. Receivers check the signature and reject old timestamps.
import { createHmac } from "node:crypto";

export const WEBHOOK_EVENTS = [
  "call_initiated",
  "call_started",
  "call_ended",
  "transcription",
  "interruption",
  "dtmf_digit",
  "error",
] as const;
export type TWebhookEvent = (typeof WEBHOOK_EVENTS)[number];

export type TWebhookItem = { type: TWebhookEvent; timestamp: string; payload: Record<string, unknown> };

/** A webhook is given up after this many failed deliveries (about 1.5 h of back-off). */
export const WEBHOOK_MAX_ATTEMPTS = 20;

export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `v1=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}
