// The platform's admin API at /trpc, authenticated by the admin token from configuration.
// Procedures are thin: they call the admin functions and map ApiError to tRPC codes.
import { timingSafeEqual } from "node:crypto";
import { initTRPC, TRPCError } from "@trpc/server";
import { z } from "zod";
import { type TAdmin, ZCreateLicenseSchema, ZGrantSchema, ZIssueKeySchema, ZPageSchema } from "./admin.ts";
import { ApiError } from "./errors.ts";

export type TAdminContext = { admin: TAdmin; adminToken: string | undefined; presentedToken: string | undefined };

// isDev false: an error response carries a code and a message, never a stack trace with the
// server's paths (whatever NODE_ENV says).
const t = initTRPC.context<TAdminContext>().create({ isDev: false });

function tokenMatches(presented: string | undefined, expected: string | undefined): boolean {
  if (!presented || !expected) return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

const CODES: Record<number, TRPCError["code"]> = {
  400: "BAD_REQUEST",
  401: "UNAUTHORIZED",
  403: "FORBIDDEN",
  404: "NOT_FOUND",
  409: "CONFLICT",
};

export const adminProcedure = t.procedure.use(async ({ ctx, next }) => {
  if (!tokenMatches(ctx.presentedToken, ctx.adminToken)) throw new TRPCError({ code: "UNAUTHORIZED", message: "admin token required" });
  return next({ ctx });
});

/** Runs an admin function; ApiError and zod errors become the matching tRPC error. */
async function run<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ApiError) throw new TRPCError({ code: CODES[err.status] ?? "INTERNAL_SERVER_ERROR", message: err.message });
    if (err instanceof z.ZodError)
      throw new TRPCError({ code: "BAD_REQUEST", message: err.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ") });
    throw err;
  }
}

const ZLicenseRef = z.strictObject({ licenseId: z.uuid() });

export const licenseAdminRouter = t.router({
  createLicense: adminProcedure.input(ZCreateLicenseSchema).mutation(({ ctx, input }) => run(() => ctx.admin.createLicense(input))),
  suspendLicense: adminProcedure.input(ZLicenseRef).mutation(({ ctx, input }) => run(() => ctx.admin.suspendLicense(input.licenseId))),
  reactivateLicense: adminProcedure
    .input(ZLicenseRef)
    .mutation(({ ctx, input }) => run(() => ctx.admin.reactivateLicense(input.licenseId))),
  closeLicense: adminProcedure.input(ZLicenseRef).mutation(({ ctx, input }) => run(() => ctx.admin.closeLicense(input.licenseId))),
  grantCredits: adminProcedure.input(ZGrantSchema).mutation(({ ctx, input }) => run(() => ctx.admin.grantCredits(input))),
  listLicenses: adminProcedure.query(({ ctx }) => run(() => ctx.admin.listLicenses())),
  showLicense: adminProcedure.input(ZLicenseRef).query(({ ctx, input }) => run(() => ctx.admin.showLicense(input.licenseId))),
  issueKey: adminProcedure.input(ZIssueKeySchema).mutation(({ ctx, input }) => run(() => ctx.admin.issueKey(input))),
  listKeys: adminProcedure.input(ZLicenseRef).query(({ ctx, input }) => run(() => ctx.admin.listKeys(input.licenseId))),
  revokeKey: adminProcedure
    .input(z.strictObject({ keyId: z.string() }))
    .mutation(({ ctx, input }) => run(() => ctx.admin.revokeKey(input.keyId))),
  usageHistory: adminProcedure.input(ZPageSchema).query(({ ctx, input }) => run(() => ctx.admin.usageHistory(input))),
  ledger: adminProcedure.input(ZPageSchema).query(({ ctx, input }) => run(() => ctx.admin.ledger(input))),
  verify: adminProcedure.query(({ ctx }) => run(() => ctx.admin.verify())),
});

/** The router's type, for the platform's tRPC client. */
export type TLicenseAdminRouter = typeof licenseAdminRouter;
