// The platform-wide registry of SIP claims: which tenant holds a number or a network its trunks
// receive calls from, in the one shared Asterisk (it picks a call's tenant by the first identify
// whose match fits the source address, so two tenants on one network is one tenant taking the
// other's calls). A tenant's own database cannot see other tenants: the platform decides here.
//
// A claim is "planned" from the moment a change is planned until it is applied (then "applied",
// replacing the tenant's previous applied claims) or discarded (then gone). A tenant has at most
// one change in flight (lifecycle.ts refuses a second), so its planned claims are that change's.
// Both kinds block every other tenant. Checks and inserts run under one transaction-scoped
// advisory lock, so two tenants planning at once are decided one after the other.
import { type TTenantDesiredState, ZTenantDesiredStateSchema } from "@dsai/contracts";
import type { Prisma, PrismaClient, SipClaimKind } from "@dsai/db";
import { networksOverlap, numberKey, parseNetwork } from "./sip-networks.ts";

/** One claim of a desired state, with the field it comes from (for the error a tenant sees). */
export type TSipClaim = { kind: SipClaimKind; value: string; path: string; given: string };
export type TSipIssue = { path: string; message: string };

/** Key of the advisory lock that serializes every claim check (any fixed 64-bit number). */
const CLAIMS_LOCK = 0x5d5a_51c1a1;

export function claimsOf(state: Pick<TTenantDesiredState, "numbers" | "trunks">): TSipClaim[] {
  const claims: TSipClaim[] = state.numbers.map((n, i) => ({
    kind: "number",
    value: numberKey(n.number),
    path: `numbers[${i}].number`,
    given: n.number,
  }));
  for (const [i, trunk] of state.trunks.entries())
    for (const [j, match] of trunk.match.entries())
      claims.push({ kind: "network", value: parseNetwork(match).text, path: `trunks[${i}].match[${j}]`, given: match });
  return claims;
}

/** One row per distinct claim (two trunks may name one network; a number may come with and without '+'). */
function rowsOf(claims: TSipClaim[]): { kind: SipClaimKind; value: string }[] {
  const seen = new Map(claims.map((c) => [`${c.kind} ${c.value}`, { kind: c.kind, value: c.value }]));
  return [...seen.values()];
}

/** Why each of `claims` cannot be had: what other tenants hold (they are never named). */
async function conflictsOf(tx: Prisma.TransactionClient, tenantId: string, claims: TSipClaim[]): Promise<TSipIssue[]> {
  const numbers = claims.filter((c) => c.kind === "number");
  const networks = claims.filter((c) => c.kind === "network");
  const issues: TSipIssue[] = [];
  if (numbers.length > 0) {
    const taken = await tx.sipClaim.findMany({
      where: { kind: "number", value: { in: numbers.map((c) => c.value) }, tenantId: { not: tenantId } },
      select: { value: true },
    });
    const held = new Set(taken.map((t) => t.value));
    for (const c of numbers) if (held.has(c.value)) issues.push({ path: c.path, message: `${c.given} is another tenant's number` });
  }
  if (networks.length > 0) {
    const others = (
      await tx.sipClaim.findMany({ where: { kind: "network", tenantId: { not: tenantId } }, select: { value: true }, distinct: ["value"] })
    ).map((o) => parseNetwork(o.value));
    for (const c of networks) {
      const mine = parseNetwork(c.value);
      if (others.some((o) => networksOverlap(mine, o)))
        issues.push({ path: c.path, message: `${c.given} overlaps a network another tenant's trunk receives calls from` });
    }
  }
  return issues;
}

async function lockClaims(tx: Prisma.TransactionClient): Promise<void> {
  // Executed, not queried: the function returns void, which a query would have to deserialize.
  await tx.$executeRawUnsafe(`SELECT pg_advisory_xact_lock(${CLAIMS_LOCK})`);
}

/**
 * Claims what a planned change's desired state needs for the tenant, replacing the tenant's
 * earlier planned claims; answers the conflicts instead (and claims nothing) when another
 * tenant holds any of it.
 */
export async function reserveSipClaims(
  db: PrismaClient,
  o: { tenantId: string; runId: string; desiredState: Pick<TTenantDesiredState, "numbers" | "trunks"> },
): Promise<TSipIssue[]> {
  const claims = claimsOf(o.desiredState);
  return db.$transaction(
    async (tx) => {
      await lockClaims(tx);
      const issues = await conflictsOf(tx, o.tenantId, claims);
      if (issues.length > 0) return issues;
      await tx.sipClaim.deleteMany({ where: { tenantId: o.tenantId, state: "planned" } });
      await tx.sipClaim.createMany({
        data: rowsOf(claims).map((r) => ({ ...r, tenantId: o.tenantId, runId: o.runId, state: "planned" as const })),
      });
      return [];
    },
    { timeout: 30_000, maxWait: 30_000 },
  );
}

/** A discarded plan gives back what it claimed. */
export function releasePlannedSipClaims(db: Prisma.TransactionClient | PrismaClient, runId: string) {
  return db.sipClaim.deleteMany({ where: { runId, state: "planned" } });
}

/** A deleted tenant holds nothing any more. */
export function releaseAllSipClaims(db: Prisma.TransactionClient | PrismaClient, tenantId: string) {
  return db.sipClaim.deleteMany({ where: { tenantId } });
}

/**
 * An approved run's plan became what Asterisk serves: its claims are the tenant's applied ones.
 * Answered as queries for the transaction that marks the run succeeded, so the two never part.
 */
export function promoteSipClaims(db: PrismaClient, tenantId: string, runId: string) {
  return [
    db.sipClaim.deleteMany({ where: { tenantId, state: "applied", runId: { not: runId } } }),
    db.sipClaim.updateMany({ where: { runId, state: "planned" }, data: { state: "applied" } }),
  ];
}

/**
 * Applied claims from what each live tenant's last succeeded run applied — for tenants applied
 * before the registry existed, run when the worker starts (before it takes a run). It is the
 * same code that claims at plan time (one way to read a number or a network, not a second one in
 * SQL) and it heals applied claims from the runs themselves. Tenants whose applied states already
 * collide (the attack this registry stops) keep their claims; each collision is answered for the
 * operator's log, naming both tenants.
 */
export async function backfillSipClaims(db: PrismaClient): Promise<{ tenants: number; collisions: string[] }> {
  const tenants = await db.tenant.findMany({ select: { id: true, slug: true, status: true } });
  const collisions: string[] = [];
  let count = 0;
  await db.$transaction(
    async (tx) => {
      await lockClaims(tx);
      for (const tenant of tenants) {
        if (tenant.status === "deleted") {
          await releaseAllSipClaims(tx, tenant.id);
          continue;
        }
        const last = await tx.provisioningRun.findFirst({
          where: { tenantId: tenant.id, status: "succeeded", action: { not: "delete" } },
          orderBy: { finishedAt: "desc" },
          select: { id: true, desiredState: true },
        });
        const parsed = last?.desiredState ? ZTenantDesiredStateSchema.safeParse(last.desiredState) : undefined;
        if (!last || !parsed?.success) continue;
        const claims = claimsOf(parsed.data);
        for (const issue of await conflictsOf(tx, tenant.id, claims)) collisions.push(`${tenant.slug} ${issue.path}: ${issue.message}`);
        // (A plan without changes succeeds at once and leaves its planned claims under its run.)
        await tx.sipClaim.deleteMany({ where: { tenantId: tenant.id, OR: [{ state: "applied" }, { runId: last.id }] } });
        await tx.sipClaim.createMany({
          data: rowsOf(claims).map((r) => ({ ...r, tenantId: tenant.id, runId: last.id, state: "applied" as const })),
        });
        count++;
      }
    },
    { timeout: 120_000, maxWait: 30_000 },
  );
  return { tenants: count, collisions };
}
