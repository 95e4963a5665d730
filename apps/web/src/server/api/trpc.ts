// tRPC for the console. Procedures are thin; the work is in named functions per domain. Every
// error leaves as a code and a message in words: field issues for bad input (shown next to each
// field), and for anything unexpected a generic message — never a stack trace or a path.

import { FieldIssuesError, fieldIssues, ZSlugSchema } from "@dsai/contracts";
import type { PrismaClient } from "@dsai/db";
import { initTRPC, TRPCError } from "@trpc/server";
import { z } from "zod";
import type { TSessionUser } from "../auth/accounts.ts";
import { ConflictError, NotFoundError, UpstreamError } from "../errors.ts";
import type { TRunQueue } from "../jobs/queue.ts";
import type { TLicenseAdmin } from "../license/admin-client.ts";
import type { TRecordingStore } from "../recordings/store.ts";
import type { TCoreEndpoint } from "../tenant-core/client.ts";
import type { TDeployTarget } from "../tenants/lifecycle.ts";
import { ROLE_RANK, type TRole } from "../tenants/roles.ts";

export type TContext = {
  db: PrismaClient;
  /** The signed-in user (from the Auth.js session), or null. */
  user: TSessionUser | null;
  queue: TRunQueue;
  /** The platform's base domain: tenants are served at <slug>.<domain>. */
  baseDomain: string;
  /** How tenant cores are reached, and the key that opens their sealed platform secrets. */
  cores: { endpoint: TCoreEndpoint; secretKey: Buffer; kubernetesEndpoint?: TCoreEndpoint };
  /** The License Service's admin API (credits, licenses), when the console is given one. */
  license?: TLicenseAdmin;
  /** The platform's providers image (offline ASR, scripted LLM, TTS), offered to tenants as profiles. */
  providersImage?: string;
  /** Where tenants can run (default: the local Docker engine only). */
  targets?: readonly TDeployTarget[];
  /** How many live tenants one account may own (default DEFAULT_MAX_TENANTS_PER_OWNER). */
  maxTenantsPerOwner?: number;
  /** Call recordings on this machine, when the platform keeps them here. */
  recordings?: TRecordingStore;
};

const t = initTRPC.context<TContext>().create({
  isDev: false,
  errorFormatter({ shape, error }) {
    const cause = error.cause;
    const issues = cause instanceof FieldIssuesError ? cause.issues : cause instanceof z.ZodError ? fieldIssues(cause) : undefined;
    const internal = error.code === "INTERNAL_SERVER_ERROR";
    return {
      message: internal
        ? "Something went wrong on our side. It has been logged; please try again."
        : issues
          ? "Some fields need attention."
          : shape.message,
      code: shape.code,
      data: { code: shape.data.code, httpStatus: shape.data.httpStatus, ...(issues && { fieldIssues: issues }) },
    };
  },
});

/** Domain errors become the matching tRPC code; anything else is internal (and logged). */
const errors = t.middleware(async ({ next, path }) => {
  const result = await next();
  if (result.ok) return result;
  const err = result.error.cause ?? result.error;
  if (err instanceof TRPCError) throw err;
  if (err instanceof FieldIssuesError) throw new TRPCError({ code: "BAD_REQUEST", message: err.message, cause: err });
  if (err instanceof ConflictError) throw new TRPCError({ code: "CONFLICT", message: err.message });
  if (err instanceof NotFoundError) throw new TRPCError({ code: "NOT_FOUND", message: err.message });
  if (err instanceof UpstreamError) throw new TRPCError({ code: "BAD_GATEWAY", message: `${err.service} is unavailable: ${err.message}` });
  if (result.error.code !== "INTERNAL_SERVER_ERROR") throw result.error;
  console.error(`trpc ${path}:`, err);
  throw result.error;
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;
export const publicProcedure = t.procedure.use(errors);

export const authedProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.user) throw new TRPCError({ code: "UNAUTHORIZED", message: "Sign in first." });
  return next({ ctx: { ...ctx, user: ctx.user } });
});

export const platformAdminProcedure = authedProcedure.use(({ ctx, next }) => {
  if (!ctx.user.isPlatformAdmin) throw new TRPCError({ code: "FORBIDDEN", message: "Platform admins only." });
  return next();
});

/**
 * A procedure on one tenant, named by `tenant` (its slug) in the input. Someone who is not a
 * member learns nothing, not even that the tenant exists (NOT_FOUND); a member whose role is
 * below `minRole` is told so (FORBIDDEN).
 */
export function tenantProcedure(minRole: TRole) {
  return authedProcedure.input(z.object({ tenant: ZSlugSchema })).use(async ({ ctx, input, next }) => {
    const membership = await ctx.db.membership.findFirst({
      where: { userId: ctx.user.id, tenant: { slug: input.tenant } },
      include: { tenant: true },
    });
    if (!membership) throw new TRPCError({ code: "NOT_FOUND", message: `No tenant '${input.tenant}'.` });
    if (ROLE_RANK[membership.role] < ROLE_RANK[minRole])
      throw new TRPCError({ code: "FORBIDDEN", message: `This needs the ${minRole} role; yours is ${membership.role}.` });
    return next({ ctx: { ...ctx, tenant: membership.tenant, role: membership.role } });
  });
}
