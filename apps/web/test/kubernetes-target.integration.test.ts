// Tenants on a Kubernetes cluster, through the console and the worker, for real: a platform that
// offers Kubernetes creates a tenant there; the worker applies its stack with tofu against a
// real Kubernetes API (etcd, kube-apiserver and kube-controller-manager built by set-up, on
// 127.0.0.1), then suspends it (every workload at zero replicas), reactivates and deletes it
// (its namespace goes). No kubelet runs here, so pods never start and rollouts are not awaited.
// A platform without a cluster refuses the target by name.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TLicenseServer } from "@dsai/license";
import { createProvisioner, loadToolchain } from "@dsai/stacks";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { kubeApiBins, startKubeApi, type TKubeApi, type TKubeApiBins } from "../../../packages/stacks/testing/kube-api.ts";
import { createLicenseAdmin } from "../src/server/license/admin-client.ts";
import { createTenant } from "../src/server/tenants/lifecycle.ts";
import { parseWorkerConfig } from "../src/worker/config.ts";
import { startConsoleHarness, startTestLicense, type TConsoleHarness } from "./harness.ts";

const toolchain = loadToolchain();
const bins = kubeApiBins(toolchain);
if (!bins) process.stderr.write("Kubernetes target test skipped: set-up has not built etcd, kube-apiserver and kube-controller-manager\n");

const ADMIN_TOKEN = randomBytes(24).toString("hex");
const scratch = mkdtempSync(join(tmpdir(), "dsai-k8s-target-"));
const slug = `kt${randomBytes(2).toString("hex")}`;

describe.skipIf(!bins)("tenants on a Kubernetes cluster", () => {
  let h: TConsoleHarness;
  let license: TLicenseServer;
  let api: TKubeApi;

  beforeAll(async () => {
    h = await startConsoleHarness({ targets: ["docker", "kubernetes"] });
    license = await startTestLicense(h.adminUrl, ADMIN_TOKEN);
    api = await startKubeApi(bins as TKubeApiBins);
  }, 180_000);

  afterAll(async () => {
    await api?.stop();
    await license?.stop();
    await h?.close();
    rmSync(scratch, { recursive: true, force: true });
  }, 120_000);

  const replicas = async () => {
    const res = await api.call("GET", `/apis/apps/v1/namespaces/dsai-${slug}/deployments`);
    expect(res.status).toBe(200);
    return Object.fromEntries(
      (res.body.items as { metadata: { name: string }; spec: { replicas: number } }[]).map((d) => [d.metadata.name, d.spec.replicas]),
    );
  };

  it("refuses the Kubernetes target on a platform without a cluster, naming the field", async () => {
    const owner = await h.make.user();
    await expect(
      createTenant(h.db, h.queue, owner.id, { slug: `${slug}x`, name: "No cluster", target: "kubernetes" }),
    ).rejects.toMatchObject({
      issues: [{ path: "target", message: "this platform runs tenants on docker" }],
    });
  });

  it("creates, suspends, reactivates and deletes a tenant on the cluster through the worker", async () => {
    const config = parseWorkerConfig({
      databaseUrl: h.databaseUrl,
      secretKey: randomBytes(32).toString("base64"),
      baseDomain: "dsai.localhost",
      stateRoot: join(scratch, "state"),
      images: { core: "dsai/core:k8s-test", postgres: "dsai/postgres:k8s-test" },
      asteriskConfDir: "/etc/asterisk",
      platformContainers: [],
      license: { adminUrl: license.url, adminToken: ADMIN_TOKEN, urlForCores: "http://license.dsai.localhost" },
      kubernetes: { cluster: { host: api.host, token: api.token, insecure: true, waitForRollout: false } },
      runLeaseMs: 10_000,
    });
    const cluster = config.kubernetes?.cluster;
    if (!cluster) throw new Error("the configuration lost its cluster");
    const stopWorking = await h.startWorker({
      provisioner: createProvisioner({ stateRoot: config.stateRoot, toolchain }),
      kubernetes: {
        provisioner: createProvisioner({
          stateRoot: join(config.stateRoot, ".kubernetes"),
          toolchain,
          target: { kind: "kubernetes", cluster },
        }),
      },
      license: createLicenseAdmin({ url: license.url, adminToken: ADMIN_TOKEN }),
      config,
    });
    onTestFinished(stopWorking);
    const owner = h.sessionOf(await h.make.user());
    const caller = h.callerAs(owner);
    expect(await caller.tenant.targets()).toEqual(["docker", "kubernetes"]);

    await caller.tenant.create({ slug, name: "On Kubernetes", target: "kubernetes" });
    const active = await h.waitForTenant(slug, "active");
    expect(active.target).toBe("kubernetes");
    expect((await api.call("GET", `/api/v1/namespaces/dsai-${slug}`)).status).toBe(200);
    expect(await replicas()).toMatchObject({ core: 1 });
    // Its license, as for a tenant on Docker.
    expect(active.licenseId).toBe(active.id);
    const [createRun] = await caller.tenant.runs({ tenant: slug });
    expect(createRun).toMatchObject({ action: "create", status: "succeeded" });
    expect((createRun?.planSummary as { add?: number } | undefined)?.add).toBeGreaterThan(10);

    await caller.tenant.suspend({ tenant: slug });
    await h.waitForTenant(slug, "suspended");
    expect(Object.values(await replicas()).every((n) => n === 0)).toBe(true);

    await caller.tenant.reactivate({ tenant: slug });
    await h.waitForTenant(slug, "active");
    expect(await replicas()).toMatchObject({ core: 1 });

    await caller.tenant.delete({ tenant: slug, confirmSlug: slug });
    await h.waitForTenant(slug, "deleted");
    // The namespace controller removes what the namespace held, then the namespace itself.
    const deadline = Date.now() + 60_000;
    while ((await api.call("GET", `/api/v1/namespaces/dsai-${slug}`)).status !== 404 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 500));
    expect((await api.call("GET", `/api/v1/namespaces/dsai-${slug}`)).status).toBe(404);
  }, 600_000);
});
