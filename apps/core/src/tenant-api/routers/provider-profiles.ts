import {
  createProviderProfile,
  deleteProviderProfile,
  listProviderProfiles,
  ZCreateProviderProfileInput,
  ZProviderProfileKey,
} from "../data/provider-profiles.ts";
import { authedProcedure, router } from "../trpc.ts";

export const providerProfilesRouter = router({
  list: authedProcedure.query(({ ctx }) => listProviderProfiles(ctx.db)),
  create: authedProcedure
    .input(ZCreateProviderProfileInput)
    .mutation(({ ctx, input }) => createProviderProfile(ctx.db, ctx.secretKey, input)),
  delete: authedProcedure.input(ZProviderProfileKey).mutation(({ ctx, input }) => deleteProviderProfile(ctx.db, input.id)),
});
