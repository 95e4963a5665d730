// The tenant's status: suspended refuses new calls at once (calls in progress finish).
import type { TTenantStatus } from "@dsai/contracts";
import type { PrismaClient } from "../../generated/prisma/client.ts";

export async function getStatus(db: PrismaClient): Promise<{ status: TTenantStatus }> {
  const setting = await db.tenantSetting.findUnique({ where: { id: 1 }, select: { status: true } });
  return { status: setting?.status ?? "active" };
}

export async function setStatus(db: PrismaClient, status: TTenantStatus) {
  await db.tenantSetting.upsert({ where: { id: 1 }, create: { id: 1, status }, update: { status, updatedAt: new Date() } });
  return { status };
}
