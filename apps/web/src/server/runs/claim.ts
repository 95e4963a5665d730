// Runs under a lease. A worker claims a tenant's oldest unfinished run and renews the lease while
// it works; a run whose lease expired (its worker died) is claimable again and is run from the
// start — tofu converges from whatever the dead run left. One statement claims, so two workers
// can never both hold a tenant: the claim locks the tenant's oldest unfinished run first.
import type { PrismaClient, ProvisioningRun } from "@dsai/db";

export const LEASE_MS = 45_000;

export async function claimNextRun(db: PrismaClient, tenantId: string, workerLeaseMs = LEASE_MS): Promise<ProvisioningRun | undefined> {
  const rows = await db.$queryRaw<{ id: string }[]>`
    WITH next AS (
      SELECT id, status, "lockedUntil" FROM "ProvisioningRun"
      WHERE "tenantId" = ${tenantId}::uuid AND status IN ('queued', 'running')
      ORDER BY "queuedAt", id LIMIT 1 FOR UPDATE
    )
    UPDATE "ProvisioningRun" r SET
      status = 'running',
      "lockedUntil" = now() + ${`${workerLeaseMs} milliseconds`}::interval,
      attempts = r.attempts + 1,
      "startedAt" = COALESCE(r."startedAt", now())
    FROM next WHERE r.id = next.id AND (next.status = 'queued' OR next."lockedUntil" < now())
    RETURNING r.id`;
  const id = rows[0]?.id;
  return id ? db.provisioningRun.findUniqueOrThrow({ where: { id } }) : undefined;
}

/** Leases are reckoned on the database's clock only (claims compare them with its now()). */
export async function renewLease(db: PrismaClient, runId: string, workerLeaseMs = LEASE_MS): Promise<void> {
  await db.$executeRaw`
    UPDATE "ProvisioningRun" SET "lockedUntil" = now() + ${`${workerLeaseMs} milliseconds`}::interval
    WHERE id = ${runId}::uuid AND status = 'running'`;
}

/** Tenants with a run to do: queued, or running under an expired lease (its worker died). */
export async function tenantsWithClaimableRuns(db: PrismaClient): Promise<string[]> {
  const rows = await db.$queryRaw<{ tenantId: string }[]>`
    SELECT DISTINCT "tenantId" FROM "ProvisioningRun"
    WHERE status = 'queued' OR (status = 'running' AND "lockedUntil" < now())`;
  return rows.map((r) => r.tenantId);
}

/** Appends a run's events in order; writes are batched (a resource-heavy apply emits many). */
export function runEventLog(db: PrismaClient, runId: string, startSeq = 0) {
  let seq = startSeq;
  let pending: { seq: number; event: object }[] = [];
  let writing: Promise<void> = Promise.resolve();
  const flush = () => {
    const batch = pending;
    pending = [];
    if (batch.length > 0)
      writing = writing.then(async () => {
        await db.runEvent.createMany({ data: batch.map((e) => ({ runId, seq: e.seq, event: e.event })) });
      });
    return writing;
  };
  const timer = setInterval(() => void flush().catch(() => {}), 300);
  return {
    append(event: object) {
      seq += 1;
      pending.push({ seq, event });
    },
    async close() {
      clearInterval(timer);
      await flush();
    },
  };
}
