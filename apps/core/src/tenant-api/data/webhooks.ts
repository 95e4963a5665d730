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
