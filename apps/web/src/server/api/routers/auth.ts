// Sign-up. Sign-in and sign-out are Auth.js's own routes (its Credentials provider calls
// authenticate()); the session's user is what every other procedure sees as ctx.user.
import { z } from "zod";
import { signUp } from "../../auth/accounts.ts";
import { publicProcedure, router } from "../trpc.ts";

export const authRouter = router({
  signUp: publicProcedure.input(z.unknown()).mutation(({ ctx, input }) => signUp(ctx.db, input)),
  me: publicProcedure.query(({ ctx }) => ctx.user),
});
