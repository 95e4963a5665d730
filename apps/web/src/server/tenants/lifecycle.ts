// A tenant's life: created, suspended, reactivated, deleted. Each request writes the tenant's
// new status and a queued provisioning run in one transaction, then asks a worker to run it;
// the page follows the run. Runs of one tenant happen one after another, in order.

import { ZDisplayNameSchema, ZSlugSchema } from "@dsai/contracts";
import type { Prisma, PrismaClient, RunAction, TenantStatus } from "@dsai/db";
import { z } from "zod";
import { ConflictError, InputError, NotFoundError } from "../errors.ts";
import type { TRunQueue } from "../jobs/queue.ts";
import { releasePlannedSipClaims } from "./sip-claims.ts";

/** Hosts the platform itself uses under the base domain (the console is app.<domain>). */
export const RESERVED_SLUGS = new Set(["app", "www", "api", "admin", "console", "license", "traefik", "asterisk", "sip", "mail"]);

export const ZNewSlugSchema = ZSlugSchema.refine((s) => !RESERVED_SLUGS.has(s), "reserved for the platform; choose another");
export const DEPLOY_TARGETS = ["docker", "kubernetes"] as const;
export type TDeployTarget = (typeof DEPLOY_TARGETS)[number];
export const ZCreateTenantSchema = z.strictObject({
  slug: ZNewSlugSchema,
  name: ZDisplayNameSchema,
  /** Where it runs: the platform's Docker engine, or its Kubernetes cluster when it has one. */
  target: z.enum(DEPLOY_TARGETS).default("docker"),
});

/** Runs not yet finished (a planned change waits for a decision): a tenant has at most a few, run in order. */
const UNFINISHED = { status: { in: ["queued", "running", "planned"] } } satisfies Prisma.ProvisioningRunWhereInput;

/** What each action needs the tenant to be, and what the tenant is while the run goes. */
const TRANSITIONS: Record<Exclude<RunAction, "create" | "update">, { from: TenantStatus[]; during: TenantStatus }> = {
  suspend: { from: ["active"], during: "suspending" },
  reactivate: { from: ["suspended"], during: "reactivating" },
  delete: { from: ["active", "suspended", "failed", "provisioning"], during: "deleting" },
};

export type TSlugCheck = { slug: string; available: boolean; reason?: string; host?: string };

/** Live check of a slug on the create form: its format, then whether anyone holds it (deleted tenants keep theirs). */
export async function checkSlug(db: PrismaClient, slug: string, baseDomain: string): Promise<TSlugCheck> {
  const parsed = ZNewSlugSchema.safeParse(slug);
  if (!parsed.success) return { slug, available: false, reason: parsed.error.issues[0]?.message ?? "invalid" };
  const taken = await db.tenant.findUnique({ where: { slug }, select: { id: true } });
  return taken ? { slug, available: false, reason: "taken" } : { slug, available: true, host: `${slug}.${baseDomain}` };
}

/** Live tenants one account may own unless the operator says otherwise (DSAI_MAX_TENANTS_PER_ACCOUNT). */
export const DEFAULT_MAX_TENANTS_PER_OWNER = 5;

export async function createTenant(
  db: PrismaClient,
  queue: TRunQueue,
  userId: string,
  input: unknown,
  o: { offered?: readonly TDeployTarget[]; maxTenantsPerOwner?: number } = {},
) {
  const offered = o.offered ?? ["docker"];
  const max = o.maxTenantsPerOwner ?? DEFAULT_MAX_TENANTS_PER_OWNER;
  const i = InputError.parse(ZCreateTenantSchema, input, "tenant");
  if (!offered.includes(i.target))
    throw new InputError("tenant", [{ path: "target", message: `this platform runs tenants on ${offered.join(" or ")}` }]);
  let tenant: { id: string; slug: string };
  try {
    tenant = await db.$transaction(async (tx) => {
      // Every tenant runs containers here: one account cannot fill the machine. The user's row
      // is locked so that concurrent creations are counted one after another.
      await tx.$queryRaw`SELECT id FROM "User" WHERE id = ${userId}::uuid FOR UPDATE`;
      const owned = await tx.membership.count({ where: { userId, role: "owner", tenant: { status: { not: "deleted" } } } });
      if (owned >= max)
        throw new ConflictError(`An account may own at most ${max} tenants on this platform: delete one before creating another.`);
      const created = await tx.tenant.create({
        data: {
          slug: i.slug,
          name: i.name,
          target: i.target,
          status: "provisioning",
          memberships: { create: { userId, role: "owner" } },
          runs: { create: { action: "create", requestedById: userId } },
        },
      });
      await tx.auditEntry.create({ data: { userId, tenantId: created.id, action: "tenant.create", detail: { slug: i.slug } } });
      return created;
    });
  } catch (err) {
    if ((err as { code?: string }).code === "P2002") throw new InputError("tenant", [{ path: "slug", message: "taken" }]);
    throw err;
  }
  await queue.enqueue(tenant.id);
  return tenant;
}

/** Suspend, reactivate or delete: refused unless the tenant is in a state the action starts from. */
export async function requestAction(
  db: PrismaClient,
  queue: TRunQueue,
  userId: string,
  tenantId: string,
  action: keyof typeof TRANSITIONS,
) {
  const rule = TRANSITIONS[action];
  const run = await db.$transaction(async (tx) => {
    // Row lock: two requests for one tenant are decided one after the other.
    const [tenant] = await tx.$queryRaw<{ status: TenantStatus }[]>`SELECT status FROM "Tenant" WHERE id = ${tenantId}::uuid FOR UPDATE`;
    if (!tenant) throw new NotFoundError("No such tenant.");
    if (!rule.from.includes(tenant.status))
      throw new ConflictError(`The tenant is ${tenant.status}; ${action} needs it ${rule.from.join(" or ")}.`);
    // A delete discards a change waiting for approval; anything else waits for runs to finish.
    if (action === "delete") {
      const discarded = await tx.provisioningRun.findMany({ where: { tenantId, status: "planned" }, select: { id: true } });
      await tx.provisioningRun.updateMany({
        where: { id: { in: discarded.map((r) => r.id) } },
        data: { status: "discarded", finishedAt: new Date() },
      });
      for (const r of discarded) await releasePlannedSipClaims(tx, r.id);
    }
    const busy = action !== "delete" && (await tx.provisioningRun.count({ where: { tenantId, ...UNFINISHED } })) > 0;
    if (busy) throw new ConflictError("A run is in progress or a planned change waits for a decision; finish that first.");
    await tx.tenant.update({ where: { id: tenantId }, data: { status: rule.during } });
    await tx.auditEntry.create({ data: { userId, tenantId, action: `tenant.${action}` } });
    return tx.provisioningRun.create({ data: { tenantId, action, requestedById: userId } });
  });
  await queue.enqueue(tenantId);
  return run;
}

/**
 * Configuration changes (made in the tenant's dashboard) reach its stack in two steps: a plan of
 * what would change, shown to the user, then — once approved — the apply of exactly that state.
 */
export async function planChanges(db: PrismaClient, queue: TRunQueue, userId: string, tenantId: string) {
  const run = await db.$transaction(async (tx) => {
    const [tenant] = await tx.$queryRaw<{ status: TenantStatus }[]>`SELECT status FROM "Tenant" WHERE id = ${tenantId}::uuid FOR UPDATE`;
    if (tenant?.status !== "active")
      throw new ConflictError(`The tenant is ${tenant?.status ?? "gone"}; changes are applied to an active tenant.`);
    if ((await tx.provisioningRun.count({ where: { tenantId, ...UNFINISHED } })) > 0)
      throw new ConflictError("A run is in progress or a planned change waits for a decision; finish that first.");
    await tx.auditEntry.create({ data: { userId, tenantId, action: "tenant.plan" } });
    return tx.provisioningRun.create({ data: { tenantId, action: "update", requestedById: userId } });
  });
  await queue.enqueue(tenantId);
  return runView(run);
}

/** Approves or discards a planned change. Approved, the run is queued again and applies what was planned. */
export async function decidePlannedRun(
  db: PrismaClient,
  queue: TRunQueue,
  userId: string,
  tenantId: string,
  runId: string,
  decision: "approve" | "discard",
) {
  const run = await db.$transaction(async (tx) => {
    const [planned] = await tx.$queryRaw<{ status: string }[]>`
      SELECT status FROM "ProvisioningRun" WHERE id = ${runId}::uuid AND "tenantId" = ${tenantId}::uuid FOR UPDATE`;
    if (!planned) throw new NotFoundError("No such run.");
    if (planned.status !== "planned") throw new ConflictError(`This run is ${planned.status}; only a planned change can be ${decision}d.`);
    await tx.auditEntry.create({ data: { userId, tenantId, action: `tenant.${decision}`, detail: { runId } } });
    // A discarded plan gives back the numbers and networks it held for the tenant.
    if (decision === "discard") await releasePlannedSipClaims(tx, runId);
    return tx.provisioningRun.update({
      where: { id: runId },
      data:
        decision === "approve"
          ? // The apply is a run of its own: its attempts and timings start now.
            { status: "queued", approvedAt: new Date(), approvedById: userId, attempts: 0, startedAt: null, phase: null, progress: 0 }
          : { status: "discarded", finishedAt: new Date() },
    });
  });
  if (decision === "approve") await queue.enqueue(tenantId);
  return runView(run);
}

/** A failed tenant's last failed run, queued again (tofu converges from wherever it stopped). */
export async function retryLastRun(db: PrismaClient, queue: TRunQueue, userId: string, tenantId: string) {
  const run = await db.$transaction(async (tx) => {
    const [tenant] = await tx.$queryRaw<{ status: TenantStatus }[]>`SELECT status FROM "Tenant" WHERE id = ${tenantId}::uuid FOR UPDATE`;
    if (tenant?.status !== "failed") throw new ConflictError("Only a failed tenant's run can be retried.");
    const failed = await tx.provisioningRun.findFirst({ where: { tenantId, status: "failed" }, orderBy: { queuedAt: "desc" } });
    if (!failed) throw new ConflictError("This tenant has no failed run.");
    const during: Record<RunAction, TenantStatus> = {
      create: "provisioning",
      update: "provisioning",
      suspend: "suspending",
      reactivate: "reactivating",
      delete: "deleting",
    };
    await tx.tenant.update({ where: { id: tenantId }, data: { status: during[failed.action] } });
    await tx.auditEntry.create({ data: { userId, tenantId, action: "tenant.retry", detail: { runId: failed.id } } });
    return tx.provisioningRun.create({ data: { tenantId, action: failed.action, requestedById: userId } });
  });
  await queue.enqueue(tenantId);
  return run;
}

export function listTenants(db: PrismaClient, userId: string) {
  return db.membership
    .findMany({ where: { userId }, include: { tenant: true }, orderBy: { tenant: { createdAt: "desc" } } })
    .then((rows) =>
      rows.map(({ tenant, role }) => ({ slug: tenant.slug, name: tenant.name, status: tenant.status, role, createdAt: tenant.createdAt })),
    );
}

function runView(r: Prisma.ProvisioningRunGetPayload<object>) {
  return {
    id: r.id,
    action: r.action,
    status: r.status,
    approvedAt: r.approvedAt,
    phase: r.phase,
    progress: r.progress,
    planSummary: r.planSummary,
    error: r.error,
    attempts: r.attempts,
    queuedAt: r.queuedAt,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    durationMs: r.startedAt && r.finishedAt ? r.finishedAt.getTime() - r.startedAt.getTime() : null,
  };
}
export type TRunView = ReturnType<typeof runView>;

export async function tenantOverview(db: PrismaClient, tenantId: string, baseDomain: string) {
  const tenant = await db.tenant.findUniqueOrThrow({ where: { id: tenantId } });
  const runs = await db.provisioningRun.findMany({ where: { tenantId }, orderBy: { queuedAt: "desc" }, take: 1 });
  return {
    slug: tenant.slug,
    name: tenant.name,
    status: tenant.status,
    target: tenant.target,
    createdAt: tenant.createdAt,
    endpoints: { host: `${tenant.slug}.${baseDomain}`, sipDomain: baseDomain },
    outputs: tenant.outputs,
    latestRun: runs[0] ? runView(runs[0]) : null,
  };
}

export async function listRuns(db: PrismaClient, tenantId: string, take = 50) {
  const runs = await db.provisioningRun.findMany({ where: { tenantId }, orderBy: { queuedAt: "desc" }, take });
  return runs.map(runView);
}

/** A run's events after `afterSeq`: the page polls with the last sequence it has (a live log that survives a reload). */
export async function runEvents(db: PrismaClient, tenantId: string, runId: string, afterSeq: number) {
  const run = await db.provisioningRun.findFirst({ where: { id: runId, tenantId } });
  if (!run) throw new NotFoundError("No such run.");
  const events = await db.runEvent.findMany({ where: { runId, seq: { gt: afterSeq } }, orderBy: { seq: "asc" }, take: 500 });
  return { run: runView(run), events: events.map((e) => ({ seq: e.seq, at: e.at, event: e.event })) };
}

/**
 * At platform start, every live tenant's stack is applied again (an "update" run that keeps its
 * status), so what changed while the platform was down converges: a recreated Traefik or
 * Asterisk is connected to the tenant's edge network again, a removed container comes back.
 * Tenants with a run still to do are left to it; failed tenants wait for their owner's retry.
 */
export async function reconcileAll(db: PrismaClient, queue: TRunQueue): Promise<string[]> {
  const tenants = await db.tenant.findMany({
    where: { status: { in: ["active", "suspended"] }, runs: { none: UNFINISHED } },
    select: { id: true, slug: true },
  });
  for (const t of tenants) {
    await db.$transaction([
      db.provisioningRun.create({ data: { tenantId: t.id, action: "update" } }),
      db.auditEntry.create({ data: { tenantId: t.id, action: "tenant.reconcile" } }),
    ]);
    await queue.enqueue(t.id);
  }
  return tenants.map((t) => t.slug);
}
