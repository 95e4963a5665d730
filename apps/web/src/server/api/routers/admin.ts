// The platform's own administration: every tenant, and the licenses and credits of the License
// Service (through its admin API). Platform admins only.
import { z } from "zod";
import { UpstreamError } from "../../errors.ts";
import type { TLicenseAdmin } from "../../license/admin-client.ts";
import { platformAdminProcedure, router } from "../trpc.ts";

export function licenseOf(ctx: { license?: TLicenseAdmin }): TLicenseAdmin {
  if (!ctx.license) throw new UpstreamError("The License Service", "the console has no License Service configured (LICENSE_URL)");
  return ctx.license;
}

export const adminRouter = router({
  tenants: platformAdminProcedure.query(async ({ ctx }) => {
    const tenants = await ctx.db.tenant.findMany({
      orderBy: { createdAt: "desc" },
      include: { memberships: { where: { role: "owner" }, include: { user: true } } },
    });
    return tenants.map((t) => ({
      slug: t.slug,
      name: t.name,
      status: t.status,
      licenseId: t.licenseId,
      owners: t.memberships.map((m) => m.user.email),
      createdAt: t.createdAt,
    }));
  }),
  licenses: platformAdminProcedure.query(({ ctx }) => licenseOf(ctx).list()),
  ledger: platformAdminProcedure.input(z.object({ licenseId: z.uuid() })).query(({ ctx, input }) => licenseOf(ctx).ledger(input.licenseId)),
  grantCredits: platformAdminProcedure
    .input(
      z.object({
        licenseId: z.uuid(),
        minutes: z
          .number()
          .int()
          .min(-100_000)
          .max(100_000)
          .refine((m) => m !== 0, "not zero"),
        note: z.string().max(500).optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const result = await licenseOf(ctx).grant(input.licenseId, input.minutes * 60, input.note);
      await ctx.db.auditEntry.create({ data: { userId: ctx.user.id, action: "admin.grantCredits", detail: input } });
      return result;
    }),
});
