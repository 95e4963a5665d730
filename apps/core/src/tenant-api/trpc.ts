// tRPC for the tenant API: one initTRPC, the context (split so tests build it without HTTP:
// `createContextInner` + `tenantApiRouter.createCaller`), and the two procedure kinds — any
// authenticated caller, or the platform only. Errors of the data modules and of Prisma become
// tRPC codes here, in one place.
import { fieldIssues } from "@dsai/contracts";
import { initTRPC, TRPCError } from "@trpc/server";
import type pg from "pg";
import { z } from "zod";
import type { PrismaClient } from "../generated/prisma/client.ts";
import type { TPrincipal } from "./auth.ts";
import { DataError } from "./data/errors.ts";

export type TTenantApiContext = {
  /** The tenant database through Prisma (management) ... */
  db: PrismaClient;
  /** ... and through pg, for the few queries that earn raw SQL (usage per day). */
  pool: pg.Pool;
  /** Key that seals secrets at rest (CORE_SECRET_KEY); without it nothing secret can be stored. */
  secretKey: Buffer | undefined;
  /** The tenant's slug (CORE_TENANT_SLUG), named in its desired state. */
  slug: string | undefined;
  liveCalls(): { uuid: string; agentId: string; answeredAt: string | undefined }[];
  principal: TPrincipal | undefined;
};

export function createContextInner(o: TTenantApiContext): TTenantApiContext {
  return o;
}

// Errors leave as a code and a message — never a stack trace (isDev false, whatever NODE_ENV
// says) — and bad input names each field, so the console shows each error next to its field.
const t = initTRPC.context<TTenantApiContext>().create({
  isDev: false,
  errorFormatter({ shape, error }) {
    const issues = error.cause instanceof z.ZodError ? fieldIssues(error.cause) : undefined;
    return { ...shape, data: { code: shape.data.code, httpStatus: shape.data.httpStatus, ...(issues && { fieldIssues: issues }) } };
  },
});

const PRISMA_CODES: Record<string, TRPCError["code"]> = { P2002: "CONFLICT", P2003: "BAD_REQUEST", P2025: "NOT_FOUND" };

/** Data errors and Prisma's known request errors as tRPC errors that say what went wrong. */
const mapErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (result.ok) return result;
  const cause = result.error.cause;
  if (cause instanceof DataError) throw new TRPCError({ code: cause.code, message: cause.message, cause });
  const prismaCode = (cause as { code?: unknown } | undefined)?.code;
  if (typeof prismaCode === "string" && PRISMA_CODES[prismaCode]) {
    const messages: Record<string, string> = {
      P2002: "already exists",
      P2003: "refers to something that does not exist",
      P2025: "not found",
    };
    throw new TRPCError({ code: PRISMA_CODES[prismaCode], message: messages[prismaCode] ?? prismaCode, cause });
  }
  return result;
});

export const router = t.router;

export const authedProcedure = t.procedure.use(mapErrors).use(({ ctx, next }) => {
  if (!ctx.principal) throw new TRPCError({ code: "UNAUTHORIZED", message: "a tenant API key or a platform service token is required" });
  return next({ ctx: { ...ctx, principal: ctx.principal } });
});

export const platformProcedure = authedProcedure.use(({ ctx, next }) => {
  if (ctx.principal.kind !== "platform") throw new TRPCError({ code: "FORBIDDEN", message: "only the platform may do this" });
  return next();
});
