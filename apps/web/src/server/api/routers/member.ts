// Members of a tenant: everyone in it sees who else is; owners manage them.
import { z } from "zod";
import { addMember, changeMember, listMembers, ZRoleSchema } from "../../tenants/members.ts";
import { router, tenantProcedure } from "../trpc.ts";

export const memberRouter = router({
  list: tenantProcedure("member").query(({ ctx }) => listMembers(ctx.db, ctx.tenant.id)),
  add: tenantProcedure("owner")
    .input(z.object({ data: z.record(z.string(), z.unknown()) }))
    .mutation(({ ctx, input }) => addMember(ctx.db, ctx.user.id, ctx.tenant.id, input.data)),
  setRole: tenantProcedure("owner")
    .input(z.object({ userId: z.uuid(), role: ZRoleSchema }))
    .mutation(({ ctx, input }) => changeMember(ctx.db, ctx.user.id, ctx.tenant.id, input.userId, input.role)),
  remove: tenantProcedure("owner")
    .input(z.object({ userId: z.uuid() }))
    .mutation(({ ctx, input }) => changeMember(ctx.db, ctx.user.id, ctx.tenant.id, input.userId, null)),
});
