// A tenant's members: owners add people who have an account (by email), change roles and remove
// members. A tenant always keeps at least one owner.
import type { MemberRole, PrismaClient } from "@dsai/db";
import { z } from "zod";
import { ZEmailSchema } from "../auth/accounts.ts";
import { ConflictError, InputError, NotFoundError } from "../errors.ts";

export const ZRoleSchema = z.enum(["owner", "admin", "member"]);
export const ZAddMemberSchema = z.strictObject({ email: ZEmailSchema, role: ZRoleSchema });

export async function listMembers(db: PrismaClient, tenantId: string) {
  const rows = await db.membership.findMany({ where: { tenantId }, include: { user: true }, orderBy: { createdAt: "asc" } });
  return rows.map((m) => ({ userId: m.userId, email: m.user.email, name: m.user.name, role: m.role, since: m.createdAt }));
}

export async function addMember(db: PrismaClient, actorId: string, tenantId: string, input: unknown) {
  const i = InputError.parse(ZAddMemberSchema, input, "member");
  const user = await db.user.findUnique({ where: { email: i.email } });
  if (!user) throw new InputError("member", [{ path: "email", message: "no account has this email; ask them to sign up first" }]);
  const existing = await db.membership.findUnique({ where: { tenantId_userId: { tenantId, userId: user.id } } });
  if (existing) throw new InputError("member", [{ path: "email", message: `already a member (${existing.role})` }]);
  await db.$transaction([
    db.membership.create({ data: { tenantId, userId: user.id, role: i.role } }),
    db.auditEntry.create({ data: { userId: actorId, tenantId, action: "member.add", detail: { email: i.email, role: i.role } } }),
  ]);
  return { userId: user.id, email: user.email, role: i.role };
}

/** Changes a role or removes a member (role null); the last owner can be neither demoted nor removed. */
export async function changeMember(db: PrismaClient, actorId: string, tenantId: string, userId: string, role: MemberRole | null) {
  return db.$transaction(async (tx) => {
    // Lock the tenant's memberships: two owners demoting each other at once leave one owner.
    await tx.$queryRaw`SELECT 1 FROM "Membership" WHERE "tenantId" = ${tenantId}::uuid FOR UPDATE`;
    const member = await tx.membership.findUnique({ where: { tenantId_userId: { tenantId, userId } } });
    if (!member) throw new NotFoundError("No such member.");
    if (member.role === "owner" && role !== "owner") {
      const owners = await tx.membership.count({ where: { tenantId, role: "owner" } });
      if (owners <= 1) throw new ConflictError("A tenant keeps at least one owner: make someone else owner first.");
    }
    if (role) await tx.membership.update({ where: { tenantId_userId: { tenantId, userId } }, data: { role } });
    else await tx.membership.delete({ where: { tenantId_userId: { tenantId, userId } } });
    await tx.auditEntry.create({
      data: { userId: actorId, tenantId, action: role ? "member.role" : "member.remove", detail: { userId, role } },
    });
    return { userId, role };
  });
}
