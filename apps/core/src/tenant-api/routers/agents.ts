import {
  createAgent,
  deleteAgent,
  getAgent,
  listAgents,
  updateAgent,
  ZAgentKey,
  ZCreateAgentInput,
  ZUpdateAgentInput,
} from "../data/agents.ts";
import { authedProcedure, router } from "../trpc.ts";

export const agentsRouter = router({
  list: authedProcedure.query(({ ctx }) => listAgents(ctx.db)),
  get: authedProcedure.input(ZAgentKey).query(({ ctx, input }) => getAgent(ctx.db, input.id)),
  create: authedProcedure.input(ZCreateAgentInput).mutation(({ ctx, input }) => createAgent(ctx.db, input)),
  update: authedProcedure.input(ZUpdateAgentInput).mutation(({ ctx, input }) => updateAgent(ctx.db, input)),
  delete: authedProcedure.input(ZAgentKey).mutation(({ ctx, input }) => deleteAgent(ctx.db, input.id)),
});
