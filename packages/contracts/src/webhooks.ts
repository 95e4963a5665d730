// Webhooks a tenant core sends (AVR event names): POST { uuid, type, timestamp, payload }, signed
// with `X-DSAI-Timestamp: <unix s>` and `X-DSAI-Signature: v1=<hex HMAC-SHA256(secret,
// "<timestamp>.<body>")>`. Receivers check the signature and reject old timestamps.
import { createHmac } from "node:crypto";
import { z } from "zod";
import { ZWebhookEventSchema } from "./webhook-events.ts";

export * from "./webhook-events.ts";

export const ZWebhookBodySchema = z.strictObject({
  uuid: z.uuid(),
  type: ZWebhookEventSchema,
  timestamp: z.iso.datetime({ offset: true }),
  payload: z.record(z.string(), z.unknown()),
});
export type TWebhookBody = z.infer<typeof ZWebhookBodySchema>;

export const WEBHOOK_TIMESTAMP_HEADER = "X-DSAI-Timestamp";
export const WEBHOOK_SIGNATURE_HEADER = "X-DSAI-Signature";

export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `v1=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}
