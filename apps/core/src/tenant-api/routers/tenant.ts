import { ZTenantStatusSchema } from "@dsai/contracts";
import { z } from "zod";
import { readDesiredState } from "../data/desired-state.ts";
import { getStatus, setStatus } from "../data/tenant.ts";
import { authedProcedure, platformProcedure, router } from "../trpc.ts";

export const tenantRouter = router({
  status: authedProcedure.query(({ ctx }) => getStatus(ctx.db)),
  /** Suspend refuses new calls at once (calls in progress finish); reactivate takes them again. */
  setStatus: platformProcedure
    .input(z.strictObject({ status: ZTenantStatusSchema }))
    .mutation(({ ctx, input }) => setStatus(ctx.db, input.status)),
  /** Everything the tenant's stack and Asterisk files are made from; the platform only (it holds sealed secrets). */
  desiredState: platformProcedure.query(({ ctx }) => readDesiredState(ctx.db, ctx.slug)),
});
