import { getCall, listCalls, usagePerDay, ZCallKey, ZListCallsInput, ZUsageInput } from "../data/calls.ts";
import { authedProcedure, router } from "../trpc.ts";

export const callsRouter = router({
  list: authedProcedure.input(ZListCallsInput).query(({ ctx, input }) => listCalls(ctx.db, input)),
  get: authedProcedure.input(ZCallKey).query(({ ctx, input }) => getCall(ctx.db, input.id)),
  live: authedProcedure.query(({ ctx }) => ctx.liveCalls()),
});

export const usageRouter = router({
  perDay: authedProcedure.input(ZUsageInput).query(({ ctx, input }) => usagePerDay(ctx.pool, input.days)),
});
