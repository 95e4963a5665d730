// What reaches the shared Asterisk: numbers, SIP trunks and WebRTC phones.
import { createNumber, deleteNumber, listNumbers, ZCreateNumberInput, ZNumberKey } from "../data/numbers.ts";
import { createPhone, deletePhone, listPhones, ZCreatePhoneInput, ZPhoneKey } from "../data/phones.ts";
import { createTrunk, deleteTrunk, listTrunks, ZCreateTrunkInput, ZTrunkKey } from "../data/trunks.ts";
import { authedProcedure, router } from "../trpc.ts";

export const numbersRouter = router({
  list: authedProcedure.query(({ ctx }) => listNumbers(ctx.db)),
  create: authedProcedure.input(ZCreateNumberInput).mutation(({ ctx, input }) => createNumber(ctx.db, input)),
  delete: authedProcedure.input(ZNumberKey).mutation(({ ctx, input }) => deleteNumber(ctx.db, input.number)),
});

export const trunksRouter = router({
  list: authedProcedure.query(({ ctx }) => listTrunks(ctx.db)),
  create: authedProcedure.input(ZCreateTrunkInput).mutation(({ ctx, input }) => createTrunk(ctx.db, ctx.secretKey, input)),
  delete: authedProcedure.input(ZTrunkKey).mutation(({ ctx, input }) => deleteTrunk(ctx.db, input.id)),
});

export const phonesRouter = router({
  list: authedProcedure.query(({ ctx }) => listPhones(ctx.db)),
  create: authedProcedure.input(ZCreatePhoneInput).mutation(({ ctx, input }) => createPhone(ctx.db, ctx.secretKey, input)),
  delete: authedProcedure.input(ZPhoneKey).mutation(({ ctx, input }) => deletePhone(ctx.db, input.id)),
});
