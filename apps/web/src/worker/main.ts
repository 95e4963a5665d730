// The provisioning worker process: takes jobs from the queue and runs them through the
// provisioner. Every 15 s it also looks for runs nobody works on — queued runs whose job was
// lost, runs whose worker died (lease expired) — and queues them again, so an interrupted run
// is picked up and converges. SIGTERM lets the current run finish (up to 60 s) before exiting.
import { join } from "node:path";
import { createAsteriskControl } from "@dsai/asterisk";
import { createPlatformClient } from "@dsai/db";
import { createProvisioner, loadToolchain } from "@dsai/stacks";
import { startQueue, workQueue } from "../server/jobs/queue.ts";
import { createLicenseAdmin } from "../server/license/admin-client.ts";
import { recordingStore } from "../server/recordings/store.ts";
import { tenantsWithClaimableRuns } from "../server/runs/claim.ts";
import { viaProxy } from "../server/tenant-core/client.ts";
import { reconcileAll } from "../server/tenants/lifecycle.ts";
import { backfillSipClaims } from "../server/tenants/sip-claims.ts";
import { parseWorkerConfig } from "./config.ts";
import { createRunExecutor } from "./executor.ts";

const SWEEP_MS = 15_000;

async function main(): Promise<void> {
  const raw = process.env.DSAI_WORKER_CONFIG;
  if (!raw) throw new Error("DSAI_WORKER_CONFIG (the worker's configuration as JSON) is not set; `npm start` sets it");
  const config = parseWorkerConfig(JSON.parse(raw));
  const db = createPlatformClient(config.databaseUrl);
  const queue = await startQueue(config.databaseUrl);
  const asterisk = config.ari ? await createAsteriskControl({ ...config.ari, attempts: 10 }) : undefined;
  const provisioner = createProvisioner({ stateRoot: config.stateRoot, toolchain: loadToolchain(), ...(asterisk && { asterisk }) });
  const license = createLicenseAdmin({ url: config.license.adminUrl, adminToken: config.license.adminToken });
  const cores = config.tenantProxyUrl ? { endpoint: viaProxy(config.tenantProxyUrl) } : undefined;
  const recordings = config.recordingsDir ? recordingStore(config.recordingsDir) : undefined;
  // Tenants on Kubernetes keep their tofu state apart; their Asterisk files are a Secret in the
  // cluster, for the Asterisk that serves it.
  const kubernetes = config.kubernetes && {
    provisioner: createProvisioner({
      stateRoot: join(config.stateRoot, ".kubernetes"),
      toolchain: loadToolchain(),
      target: { kind: "kubernetes", cluster: config.kubernetes.cluster },
    }),
    ...(config.kubernetes.tenantProxyUrl && { cores: { endpoint: viaProxy(config.kubernetes.tenantProxyUrl) } }),
  };
  const executor = createRunExecutor({
    db,
    provisioner,
    license,
    config,
    ...(cores && { cores }),
    ...(kubernetes && { kubernetes }),
    ...(recordings && { recordings }),
  });
  // Before any run: tenants applied before the SIP claims registry (or since) hold what they applied.
  const sip = await backfillSipClaims(db);
  for (const collision of sip.collisions) process.stderr.write(`worker: SIP claims collide, resolve by hand: ${collision}\n`);
  await workQueue(queue.boss, (tenantId) => executor.drainTenant(tenantId));

  const sweep = async () => {
    for (const tenantId of await tenantsWithClaimableRuns(db)) await queue.enqueue(tenantId);
  };
  if (config.reconcileOnStart) {
    const slugs = await reconcileAll(db, queue);
    if (slugs.length > 0) process.stdout.write(`worker: reconciling ${slugs.length} tenant(s): ${slugs.join(", ")}\n`);
  }
  await sweep();
  const sweeper = setInterval(() => void sweep().catch((err) => console.error(`worker: sweep failed: ${err.message}`)), SWEEP_MS);
  process.stdout.write("worker: ready\n");

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    clearInterval(sweeper);
    await queue.boss.stop({ graceful: true, wait: true, timeout: 60_000 }).catch(() => {});
    await asterisk?.close().catch(() => {});
    await db.$disconnect();
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop());
  process.on("SIGINT", () => void stop());
}

main().catch((err: unknown) => {
  process.stderr.write(`worker failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
