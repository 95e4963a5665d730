// Accounts: sign-up and the credentials check behind Auth.js's Credentials provider. Both are
// plain functions over the platform database, so tests call them without a browser.

import { ZDisplayNameSchema } from "@dsai/contracts";
import type { PrismaClient } from "@dsai/db";
import { z } from "zod";
import { InputError } from "../errors.ts";
import { decoyHash, hashPassword, verifyPassword } from "./password.ts";
import { type TThrottle, throttleKeys } from "./throttle.ts";

export const ZEmailSchema = z.string().trim().toLowerCase().max(254, "at most 254 characters").pipe(z.email("an email address"));
export const ZPasswordSchema = z.string().min(10, "at least 10 characters").max(200, "at most 200 characters");

export const ZSignUpSchema = z.strictObject({ email: ZEmailSchema, password: ZPasswordSchema, name: ZDisplayNameSchema.optional() });
export const ZSignInSchema = z.strictObject({ email: ZEmailSchema, password: z.string().min(1).max(200) });

export type TSessionUser = { id: string; email: string; name: string | null; isPlatformAdmin: boolean };

export async function signUp(db: PrismaClient, input: unknown): Promise<TSessionUser> {
  const i = InputError.parse(ZSignUpSchema, input, "sign-up");
  const passwordHash = await hashPassword(i.password);
  try {
    const user = await db.user.create({ data: { email: i.email, name: i.name ?? null, passwordHash } });
    await db.auditEntry.create({ data: { userId: user.id, action: "user.sign-up" } });
    return { id: user.id, email: user.email, name: user.name, isPlatformAdmin: user.isPlatformAdmin };
  } catch (err) {
    if ((err as { code?: string }).code === "P2002")
      throw new InputError("sign-up", [{ path: "email", message: "an account with this email exists" }]);
    throw err;
  }
}

export type TSignInResult = { ok: true; user: TSessionUser } | { ok: false; reason: "invalid" | "locked"; retryAt?: Date };

/** Checks an email and password; counts failures per account and per address (rate limit). */
export async function authenticate(db: PrismaClient, throttle: TThrottle, input: unknown, ip?: string): Promise<TSignInResult> {
  const parsed = ZSignInSchema.safeParse(input);
  if (!parsed.success) return { ok: false, reason: "invalid" };
  const { email, password } = parsed.data;
  const keys = throttleKeys(email, ip);
  const retryAt = await throttle.lockedUntil(keys);
  if (retryAt) return { ok: false, reason: "locked", retryAt };
  const user = await db.user.findUnique({ where: { email } });
  const matches = await verifyPassword(user?.passwordHash ?? (await decoyHash()), password);
  if (!user?.passwordHash || !matches) {
    await throttle.recordFailure(keys);
    return { ok: false, reason: "invalid" };
  }
  await throttle.reset(keys.account);
  return { ok: true, user: { id: user.id, email: user.email, name: user.name, isPlatformAdmin: user.isPlatformAdmin } };
}
