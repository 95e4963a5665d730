// Webhook endpoints: where the core posts the tenant's call events (signed; see @dsai/contracts).
import { randomBytes } from "node:crypto";
import { ZWebhookEventSchema } from "@dsai/contracts";
import { z } from "zod";
import type { PrismaClient } from "../../generated/prisma/client.ts";
import { orNotFound } from "./errors.ts";
import { sealWith } from "./provider-profiles.ts";

const ZWebhookUrl = z.url().refine((u) => /^https?:\/\/\S+$/.test(u), "an http(s) URL");
export const ZCreateWebhookInput = z.strictObject({ url: ZWebhookUrl, events: z.array(ZWebhookEventSchema).default([]) });
export const ZWebhookKey = z.strictObject({ id: z.uuid() });
export const ZWebhookDeliveriesInput = z.strictObject({ id: z.uuid(), limit: z.number().int().min(1).max(200).default(50) });

const SELECT = { id: true, url: true, events: true, enabled: true, createdAt: true } as const;

export async function listWebhooks(db: PrismaClient) {
  return db.webhookEndpoint.findMany({ select: SELECT, orderBy: { createdAt: "asc" } });
}

/** The signing secret is generated here and shown in this answer only. */
export async function createWebhook(db: PrismaClient, secretKey: Buffer | undefined, input: z.output<typeof ZCreateWebhookInput>) {
  const secret = `whsec_${randomBytes(24).toString("base64url")}`;
  const endpoint = await db.webhookEndpoint.create({
    data: { url: input.url, events: input.events, secretCiphertext: sealWith(secretKey, secret) },
    select: SELECT,
  });
  return { ...endpoint, secret };
}

export async function deleteWebhook(db: PrismaClient, id: string) {
  await orNotFound("webhook", () => db.webhookEndpoint.delete({ where: { id } }));
  return { deleted: id };
}

/**
 * An endpoint's deliveries, newest first, from the outbox: each event, the attempts it took (or
 * has taken so far), the last error, and when it was delivered — or when it is tried again.
 */
export async function webhookDeliveries(db: PrismaClient, input: z.output<typeof ZWebhookDeliveriesInput>) {
  const rows = await db.outbox.findMany({
    where: { kind: "webhook", payload: { path: ["endpointId"], equals: input.id } },
    orderBy: { id: "desc" },
    take: input.limit,
  });
  return rows.map((r) => {
    const body = (r.payload as { body?: { type?: string; uuid?: string } }).body ?? {};
    return {
      id: r.id.toString(),
      event: body.type ?? null,
      callId: body.uuid ?? null,
      attempts: r.attempts,
      lastError: r.lastError,
      deliveredAt: r.deliveredAt,
      nextAttemptAt: r.deliveredAt ? null : r.nextAttemptAt,
      createdAt: r.createdAt,
    };
  });
}
