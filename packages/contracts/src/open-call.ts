// The dialplan opening a call at the tenant core: `POST /calls?token=<tenant token>` with a
// form-encoded body (Asterisk's CURL(), every value URI-encoded), answered in text/plain with the
// call's UUID or one of the refusal codes, which the dialplan tells apart with a REGEX.
import { z } from "zod";
import { ZNumberSchema, ZObjectIdSchema } from "./fields.ts";

export const ZOpenCallSchema = z.object({
  agent: ZObjectIdSchema,
  number: ZNumberSchema,
  // CALLERID(num) comes from outside: it may be empty or a word such as "anonymous".
  caller: z
    .string()
    .regex(/^[A-Za-z0-9+*#._-]{0,64}$/, "the caller's number")
    .transform((c) => c || "unknown"),
});
export type TOpenCall = z.infer<typeof ZOpenCallSchema>;

export const REFUSALS = ["suspended", "no_credit", "unknown_agent", "unavailable"] as const;
export type TRefusal = (typeof REFUSALS)[number];
