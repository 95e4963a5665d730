// Seed factories the tests share: users, and tenants with their members, in the shapes the
// console creates them (unique emails and slugs per call, so tests never collide).
import { randomBytes } from "node:crypto";
import type { MemberRole, PrismaClient, TenantStatus } from "./generated/prisma/client.ts";

const suffix = () => randomBytes(4).toString("hex");

export function platformFactories(db: PrismaClient) {
  return {
    user(o: { email?: string; passwordHash?: string; isPlatformAdmin?: boolean; name?: string } = {}) {
      return db.user.create({
        data: {
          email: o.email ?? `user-${suffix()}@example.test`,
          passwordHash: o.passwordHash ?? null,
          name: o.name ?? null,
          isPlatformAdmin: o.isPlatformAdmin ?? false,
        },
      });
    },

    tenant(o: { members: { userId: string; role: MemberRole }[]; status?: TenantStatus; slug?: string; name?: string }) {
      return db.tenant.create({
        data: {
          slug: o.slug ?? `t${suffix()}`,
          name: o.name ?? "Test tenant",
          status: o.status ?? "active",
          memberships: { create: o.members },
        },
      });
    },
  };
}
