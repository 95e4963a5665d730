// The provisioning queue: pg-boss on the platform database. A job names a tenant, not a run:
// its handler works through the tenant's unfinished runs in order, under the run's lease (see
// runs/claim.ts), so two workers never run the same tenant at once. The "short" policy keeps
// at most one waiting job per tenant — more would only repeat the same drain.
import PgBoss from "pg-boss";

export const PROVISION_QUEUE = "provision-tenant";

export type TRunQueue = {
  /** Asks a worker to work through the tenant's unfinished runs. */
  enqueue(tenantId: string): Promise<void>;
};

export type TQueueWorker = { stop(): Promise<void> };

/** `worker: false` (the console) only sends: no maintenance or schedule loops in that process. */
export async function startQueue(
  connectionString: string,
  o: { worker?: boolean } = {},
): Promise<TRunQueue & { boss: PgBoss; stop(): Promise<void> }> {
  const worker = o.worker ?? true;
  const boss = new PgBoss({ connectionString, schema: "pgboss", max: 4, supervise: worker, schedule: worker });
  boss.on("error", (err) => console.error(`queue: ${err.message}`));
  await boss.start();
  await boss.createQueue(PROVISION_QUEUE, { name: PROVISION_QUEUE, policy: "short", retryLimit: 0, expireInSeconds: 6 * 3600 });
  return {
    boss,
    async enqueue(tenantId) {
      await boss.send(PROVISION_QUEUE, { tenantId }, { singletonKey: tenantId });
    },
    async stop() {
      await boss.stop({ graceful: true, wait: true, timeout: 30_000 });
    },
  };
}

/** Runs `handle` for each job; resolves once the worker polls, with a function that stops it. */
export async function workQueue(boss: PgBoss, handle: (tenantId: string) => Promise<void>): Promise<() => Promise<void>> {
  const id = await boss.work<{ tenantId: string }>(PROVISION_QUEUE, { batchSize: 1, pollingIntervalSeconds: 1 }, async ([job]) => {
    if (job) await handle(job.data.tenantId);
  });
  return () => boss.offWork({ id });
}
