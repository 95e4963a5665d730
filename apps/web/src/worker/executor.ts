// The worker's side of a provisioning run: the tenant's license and secrets, the desired state
// the run applies, the provisioner's apply or destroy with its progress written as the run's
// event log, and the tenant's new status. A run that fails keeps its error in words (tofu's
// diagnostics) and leaves the tenant "failed" with a retry offered; nothing is lost: a retried
// run re-applies and converges.

import {
  GENERATOR_VERSION,
  openSecret,
  sealSecret,
  systemResolve,
  type TResolve,
  type TTenantDesiredState,
  ZTenantDesiredStateSchema,
} from "@dsai/contracts";
import type { PrismaClient, ProvisioningRun, RunAction, Tenant, TenantStatus } from "@dsai/db";
import type { TProvisionEvent, TProvisioner, TTenantDeployment } from "@dsai/stacks";
import { RefusedChangeError } from "../server/errors.ts";
import { isWrongStatus, type TLicenseAdmin } from "../server/license/admin-client.ts";
import type { TRecordingStore } from "../server/recordings/store.ts";
import { claimNextRun, renewLease, runEventLog } from "../server/runs/claim.ts";
import { coreOf, type TCoreEndpoint, viaCore } from "../server/tenant-core/client.ts";
import { hostFetch } from "../server/tenant-core/host-fetch.ts";
import { newTenantSecrets, openJson, sealJson, type TTenantSecrets } from "../server/tenants/secrets.ts";
import { promoteSipClaims, releaseAllSipClaims } from "../server/tenants/sip-claims.ts";
import { claimSipOwnership } from "../server/tenants/sip-ownership.ts";
import { sipPolicyOf } from "../server/tenants/sip-rules.ts";
import type { TWorkerConfig } from "./config.ts";
import { checkTenantLimits, ownDesiredState } from "./tenant-answer.ts";

export type TExecutorDeps = {
  db: PrismaClient;
  /** How tenant cores are reached, to read a tenant's desired state for a planned change. */
  cores?: { endpoint: TCoreEndpoint };
  /** Tenants on the local Docker engine. */
  provisioner: TProvisioner;
  /** Tenants on the platform's Kubernetes cluster, when it has one, and how their cores are reached. */
  kubernetes?: { provisioner: TProvisioner; cores?: { endpoint: TCoreEndpoint } };
  license: TLicenseAdmin;
  /** Call recordings on this machine: a deleted tenant's are removed. */
  recordings?: TRecordingStore;
  /** How trunk hosts are resolved when a change is planned (the system's resolver unless a test gives one). */
  resolve?: TResolve;
  config: TWorkerConfig & { key: Buffer };
  log?: (line: string) => void;
};

/** The tenant's status once a run of this action succeeded ("update" keeps what the tenant was). */
const AFTER: Record<Exclude<RunAction, "update">, TenantStatus> = {
  create: "active",
  suspend: "suspended",
  reactivate: "active",
  delete: "deleted",
};
const statusAfter = (action: RunAction, before: TTenantDesiredState["status"]): TenantStatus =>
  action === "update" ? before : AFTER[action];

export function createRunExecutor(d: TExecutorDeps) {
  const log = d.log ?? ((line: string) => process.stdout.write(`worker: ${line}\n`));

  /** The tenant's license (created once, under the tenant's id) and a key for its core. */
  async function ensureLicense(tenant: Tenant): Promise<{ id: string; key: string }> {
    if (tenant.licenseId && tenant.licenseKeyEncrypted)
      return { id: tenant.licenseId, key: openSecret(d.config.key, tenant.licenseKeyEncrypted) };
    const license = await d.license.createLicense({ id: tenant.id, name: `tenant ${tenant.slug}`, seconds: d.config.initialCreditSeconds });
    const issued = await d.license.issueKey(license.id, "tenant core");
    await d.db.tenant.update({
      where: { id: tenant.id },
      data: { licenseId: license.id, licenseKeyEncrypted: sealSecret(d.config.key, issued.token) },
    });
    return { id: license.id, key: issued.token };
  }

  /** Where the tenant runs: its provisioner and how its core is reached there. */
  function targetOf(tenant: Tenant): { provisioner: TProvisioner; cores?: { endpoint: TCoreEndpoint } } {
    if (tenant.target === "docker") return { provisioner: d.provisioner, ...(d.cores && { cores: d.cores }) };
    if (!d.kubernetes)
      throw new Error(
        "This platform has no Kubernetes cluster (no `kubernetes` in the worker's configuration): the tenant cannot run there.",
      );
    return d.kubernetes;
  }

  async function ensureSecrets(tenant: Tenant): Promise<TTenantSecrets> {
    if (tenant.secretsSealed) return openJson<TTenantSecrets>(d.config.key, tenant.secretsSealed);
    const secrets = newTenantSecrets();
    await d.db.tenant.update({ where: { id: tenant.id }, data: { secretsSealed: sealJson(d.config.key, secrets) } });
    return secrets;
  }

  async function deploymentFor(tenant: Tenant): Promise<TTenantDeployment> {
    const license = await ensureLicense(tenant);
    return {
      baseDomain: d.config.baseDomain,
      images: d.config.images,
      asteriskConfDir: d.config.asteriskConfDir,
      ...(d.config.edgeRoutesDir && { edgeRoutesDir: d.config.edgeRoutesDir }),
      platformContainers: d.config.platformContainers,
      edgeAliases: d.config.edgeAliases,
      ...(d.config.proxySourceRange && { proxySourceRange: d.config.proxySourceRange }),
      secrets: await ensureSecrets(tenant),
      license: { url: d.config.license.urlForCores, id: license.id, key: license.key },
      limits: { coreMemoryMiB: 512, providerMemoryMiB: 512, databaseMemoryMiB: 256, cpus: 1 },
    };
  }

  /**
   * What the run applies: the state the last successful run applied (a new tenant: nothing yet),
   * with the status the action asks for.
   */
  async function desiredStateFor(tenant: Tenant, action: RunAction): Promise<TTenantDesiredState> {
    const last = await d.db.provisioningRun.findFirst({
      where: { tenantId: tenant.id, status: "succeeded", desiredState: { not: undefined } },
      orderBy: { finishedAt: "desc" },
    });
    const base = last?.desiredState
      ? ownDesiredState(tenant, last.desiredState)
      : ZTenantDesiredStateSchema.parse({ generatorVersion: GENERATOR_VERSION, slug: tenant.slug, status: "active" });
    const status = action === "suspend" ? "suspended" : action === "update" ? base.status : "active";
    return { ...base, generatorVersion: GENERATOR_VERSION, status };
  }

  /**
   * A change the tenant made in its dashboard: its desired state, read from its core, planned
   * against the stack; the run then waits ("planned") for a person to approve or discard it.
   * A plan without changes needs no decision and ends at once.
   */
  async function planForApproval(run: ProvisioningRun, tenant: Tenant, onEvent: (e: TProvisionEvent) => void): Promise<void> {
    const { provisioner, cores } = targetOf(tenant);
    if (!cores) throw new Error(`This worker cannot reach tenant cores on ${tenant.target} (no tenantProxyUrl in its configuration).`);
    const core = coreOf(tenant, { ...cores, baseDomain: d.config.baseDomain, secretKey: d.config.key });
    const answer = await viaCore(() => core.tenant.desiredState.query());
    for (const r of answer.rejected)
      onEvent({
        type: "diagnostic",
        severity: "warning",
        summary: `Not applied: ${r.table} ${r.key}`,
        detail: r.issues.map((i) => `${i.path}: ${i.message}`).join("; "),
      });
    const desiredState = ownDesiredState(tenant, answer.desiredState);
    checkTenantLimits(desiredState, d.config.limits);
    // Before anything is planned: the trunks follow the operator's rules, and the numbers and networks are this tenant's alone.
    await claimSipOwnership(d.db, {
      tenantId: tenant.id,
      runId: run.id,
      desiredState,
      policy: sipPolicyOf(d.config),
      resolve: d.resolve ?? systemResolve,
    });
    const plan = await provisioner.plan({ desiredState, deployment: await deploymentFor(tenant) }, { onEvent });
    const done = !plan.hasChanges;
    await d.db.provisioningRun.update({
      where: { id: run.id },
      data: {
        desiredState,
        planSummary: plan,
        phase: done ? "done" : "plan",
        progress: done ? 100 : 0,
        status: done ? "succeeded" : "planned",
        lockedUntil: null,
        ...(done && { finishedAt: new Date() }),
      },
    });
    // A plan waiting for its decision is not done: the page shows it as planned, with its resources.
    if (done) onEvent({ type: "phase", phase: "done" });
  }

  /**
   * "Active" means usable: after an apply, wait (up to 30 s) until the platform reaches the core
   * by its host name — Traefik takes a moment to route a new container. A core that stays
   * unreachable is reported in the run's log, not as a failure: the stack itself was applied.
   */
  async function untilReachable(tenant: Tenant, onEvent: (e: TProvisionEvent) => void): Promise<void> {
    const { cores } = targetOf(tenant);
    if (!cores) return;
    const endpoint = cores.endpoint(tenant.slug, d.config.baseDomain);
    const get = endpoint.host ? hostFetch(endpoint.host, 2_000) : (url: string) => fetch(url, { signal: AbortSignal.timeout(2_000) });
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const ok = await get(`${endpoint.url.replace(/\/$/, "")}/healthz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return;
      await new Promise((r) => setTimeout(r, 250));
    }
    onEvent({ type: "diagnostic", severity: "warning", summary: `The core does not answer at ${tenant.slug}.${d.config.baseDomain} yet.` });
  }

  async function execute(run: ProvisioningRun): Promise<void> {
    const tenant = await d.db.tenant.findUniqueOrThrow({ where: { id: run.tenantId } });
    const lastSeq = await d.db.runEvent.aggregate({ where: { runId: run.id }, _max: { seq: true } });
    const events = runEventLog(d.db, run.id, lastSeq._max.seq ?? 0);
    const leaseMs = d.config.runLeaseMs;
    const lease = setInterval(() => void renewLease(d.db, run.id, leaseMs).catch(() => {}), leaseMs / 3);
    let progress = { phase: run.phase, percent: 0 };
    let progressWrite = Promise.resolve();
    const onEvent = (event: TProvisionEvent) => {
      events.append(event);
      if (event.type === "phase") progress = { phase: event.phase, percent: event.phase === "done" ? 100 : progress.percent };
      else if (event.type === "progress") progress = { ...progress, percent: event.percent };
      else return;
      const { phase, percent } = progress;
      progressWrite = progressWrite.then(() =>
        d.db.provisioningRun.update({ where: { id: run.id }, data: { phase, progress: percent } }).then(
          () => {},
          () => {},
        ),
      );
    };
    log(`${tenant.slug}: ${run.action} (run ${run.id}, attempt ${run.attempts})`);
    try {
      if (run.attempts > 1) onEvent({ type: "diagnostic", severity: "warning", summary: "Resumed after an interrupted attempt." });
      if (run.action === "delete") {
        const result = await targetOf(tenant).provisioner.destroy(tenant.slug, { onEvent });
        if (tenant.licenseId)
          await d.license.close(tenant.licenseId).catch((err) => (isWrongStatus(err) ? undefined : Promise.reject(err)));
        // A later tenant of the same slug must never inherit this one's calls.
        await d.recordings?.removeTenant(tenant.slug);
        await progressWrite;
        await finish(
          run,
          tenant,
          "deleted",
          { reloaded: result.reloaded },
          { outputs: undefined, secretsSealed: null, licenseKeyEncrypted: null },
        );
      } else if (run.action === "update" && run.requestedById && !run.approvedAt) {
        await planForApproval(run, tenant, onEvent);
        await progressWrite;
      } else {
        const deployment = await deploymentFor(tenant);
        // An approved change applies exactly the state its plan showed.
        const desiredState = run.approvedAt ? ownDesiredState(tenant, run.desiredState) : await desiredStateFor(tenant, run.action);
        await d.db.provisioningRun.update({ where: { id: run.id }, data: { desiredState } });
        if (run.action === "reactivate" && tenant.licenseId)
          await d.license.reactivate(tenant.licenseId).catch((err) => (isWrongStatus(err) ? undefined : Promise.reject(err)));
        const result = await targetOf(tenant).provisioner.apply({ desiredState, deployment }, { onEvent });
        if (desiredState.status === "active") await untilReachable(tenant, onEvent);
        if (run.action === "suspend" && tenant.licenseId)
          await d.license.suspend(tenant.licenseId).catch((err) => (isWrongStatus(err) ? undefined : Promise.reject(err)));
        await progressWrite;
        const { resources: _resources, ...counts } = result.plan;
        await finish(
          run,
          tenant,
          statusAfter(run.action, desiredState.status),
          { ...counts, reloaded: result.reloaded },
          {
            outputs: result.outputs as object,
          },
        );
      }
      log(`${tenant.slug}: ${run.action} succeeded`);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      log(`${tenant.slug}: ${run.action} failed: ${message}`);
      events.append({ type: "diagnostic", severity: "error", summary: `${run.action} failed`, detail: message });
      await progressWrite;
      await d.db.$transaction([
        d.db.provisioningRun.update({
          where: { id: run.id },
          data: { status: "failed", error: message, finishedAt: new Date(), lockedUntil: null },
        }),
        // A change refused by the platform's rules applied nothing: an active tenant stays active, to correct it.
        ...(err instanceof RefusedChangeError && tenant.status === "active"
          ? []
          : [d.db.tenant.update({ where: { id: tenant.id }, data: { status: "failed" } })]),
      ]);
    } finally {
      clearInterval(lease);
      await events.close();
    }
  }

  async function finish(
    run: ProvisioningRun,
    tenant: Tenant,
    status: TenantStatus,
    planSummary: object,
    tenantData: Partial<Pick<Tenant, "secretsSealed" | "licenseKeyEncrypted">> & { outputs?: object },
  ) {
    const { outputs, ...rest } = tenantData;
    await d.db.$transaction([
      d.db.provisioningRun.update({
        where: { id: run.id },
        data: { status: "succeeded", planSummary, phase: "done", progress: 100, finishedAt: new Date(), lockedUntil: null },
      }),
      d.db.tenant.update({
        where: { id: tenant.id },
        data: { status, ...rest, ...(outputs !== undefined && { outputs }) },
      }),
      // SIP claims follow what Asterisk serves: an approved plan's become the applied ones; a deleted tenant's are released.
      ...(status === "deleted" ? [releaseAllSipClaims(d.db, tenant.id)] : run.approvedAt ? promoteSipClaims(d.db, tenant.id, run.id) : []),
    ]);
  }

  return {
    /** Works through the tenant's unfinished runs, oldest first; returns when none is left to claim. */
    async drainTenant(tenantId: string): Promise<void> {
      for (;;) {
        const run = await claimNextRun(d.db, tenantId, d.config.runLeaseMs);
        if (!run) return;
        await execute(run);
      }
    },
  };
}
export type TRunExecutor = ReturnType<typeof createRunExecutor>;
