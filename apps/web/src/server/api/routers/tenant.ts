// Tenant lifecycle and provisioning runs. Procedures only check who may and call the domain.
import { z } from "zod";
import { InputError } from "../../errors.ts";
import {
  checkSlug,
  createTenant,
  DEFAULT_MAX_TENANTS_PER_OWNER,
  decidePlannedRun,
  listRuns,
  listTenants,
  planChanges,
  requestAction,
  retryLastRun,
  runEvents,
  tenantOverview,
} from "../../tenants/lifecycle.ts";
import { authedProcedure, router, tenantProcedure } from "../trpc.ts";

export const tenantRouter = router({
  list: authedProcedure.query(({ ctx }) => listTenants(ctx.db, ctx.user.id)),
  checkSlug: authedProcedure
    .input(z.object({ slug: z.string().max(100) }))
    .query(({ ctx, input }) => checkSlug(ctx.db, input.slug, ctx.baseDomain)),
  /** Where this platform can run a tenant (the create page offers a choice when there is one). */
  targets: authedProcedure.query(({ ctx }) => ctx.targets ?? ["docker"]),
  create: authedProcedure.input(z.unknown()).mutation(({ ctx, input }) =>
    createTenant(ctx.db, ctx.queue, ctx.user.id, input, {
      offered: ctx.targets ?? ["docker"],
      maxTenantsPerOwner: ctx.maxTenantsPerOwner ?? DEFAULT_MAX_TENANTS_PER_OWNER,
    }),
  ),
  get: tenantProcedure("member").query(async ({ ctx }) => ({
    ...(await tenantOverview(ctx.db, ctx.tenant.id, ctx.baseDomain)),
    role: ctx.role,
  })),
  runs: tenantProcedure("member").query(({ ctx }) => listRuns(ctx.db, ctx.tenant.id)),
  runEvents: tenantProcedure("member")
    .input(z.object({ runId: z.uuid(), afterSeq: z.number().int().min(0).default(0) }))
    .query(({ ctx, input }) => runEvents(ctx.db, ctx.tenant.id, input.runId, input.afterSeq)),
  suspend: tenantProcedure("admin").mutation(({ ctx }) => requestAction(ctx.db, ctx.queue, ctx.user.id, ctx.tenant.id, "suspend")),
  reactivate: tenantProcedure("admin").mutation(({ ctx }) => requestAction(ctx.db, ctx.queue, ctx.user.id, ctx.tenant.id, "reactivate")),
  planChanges: tenantProcedure("admin").mutation(({ ctx }) => planChanges(ctx.db, ctx.queue, ctx.user.id, ctx.tenant.id)),
  approveRun: tenantProcedure("admin")
    .input(z.object({ runId: z.uuid() }))
    .mutation(({ ctx, input }) => decidePlannedRun(ctx.db, ctx.queue, ctx.user.id, ctx.tenant.id, input.runId, "approve")),
  discardRun: tenantProcedure("admin")
    .input(z.object({ runId: z.uuid() }))
    .mutation(({ ctx, input }) => decidePlannedRun(ctx.db, ctx.queue, ctx.user.id, ctx.tenant.id, input.runId, "discard")),
  retry: tenantProcedure("admin").mutation(({ ctx }) => retryLastRun(ctx.db, ctx.queue, ctx.user.id, ctx.tenant.id)),
  delete: tenantProcedure("owner")
    .input(z.object({ confirmSlug: z.string().max(100) }))
    .mutation(({ ctx, input }) => {
      // The danger zone asks for the slug typed out: a stray click deletes nothing.
      if (input.confirmSlug !== ctx.tenant.slug)
        throw new InputError("confirmation", [{ path: "confirmSlug", message: `type '${ctx.tenant.slug}' to confirm` }]);
      return requestAction(ctx.db, ctx.queue, ctx.user.id, ctx.tenant.id, "delete");
    }),
});
