// Tenant API keys (`dsai_tk_…`): random, shown once, stored only as a hash, revocable at once.
import { ZDisplayNameSchema } from "@dsai/contracts";
import { z } from "zod";
import type { PrismaClient } from "../../generated/prisma/client.ts";
import { TENANT_KEYS } from "../auth.ts";
import { orNotFound } from "./errors.ts";

export const ZCreateApiKeyInput = z.strictObject({ label: ZDisplayNameSchema });
export const ZApiKeyKey = z.strictObject({ id: z.uuid() });

export async function listApiKeys(db: PrismaClient) {
  return db.apiKey.findMany({
    select: { id: true, keyId: true, label: true, createdAt: true, lastUsedAt: true, revokedAt: true },
    orderBy: { createdAt: "asc" },
  });
}

/** The token is in this answer only; the database keeps its hash. */
export async function createApiKey(db: PrismaClient, input: z.output<typeof ZCreateApiKeyInput>) {
  const key = TENANT_KEYS.create();
  await db.apiKey.create({ data: { id: key.id, keyId: key.keyId, secretHash: key.secretHash, label: input.label } });
  return { id: key.id, keyId: key.keyId, label: input.label, token: key.token };
}

export async function revokeApiKey(db: PrismaClient, id: string) {
  const key = await orNotFound("API key", () => db.apiKey.findUniqueOrThrow({ where: { id }, select: { revokedAt: true } }));
  if (!key.revokedAt) await db.apiKey.update({ where: { id }, data: { revokedAt: new Date() } });
  return { revoked: id };
}
