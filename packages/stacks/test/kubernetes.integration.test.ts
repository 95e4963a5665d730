// The Kubernetes tenant stack against a real Kubernetes API server (etcd + kube-apiserver +
// kube-controller-manager built by set-up, on 127.0.0.1): every object is accepted by the API's
// own validation and read back with the intended spec; a second plan changes nothing; suspended,
// every workload is at zero replicas and the claim template is kept; destroyed, the namespace
// goes. No kubelet runs here, so rollouts are not awaited (in these tests only).
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { App } from "cdktf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createProvisioner } from "../src/provisioner/provisioner.ts";
import { synthStack } from "../src/synth.ts";
import { KubernetesTenantStack } from "../src/tenant/kubernetes/tenant-stack.ts";
import { createTofu } from "../src/tofu.ts";
import { loadToolchain } from "../src/toolchain.ts";
import { kubeApiBins, startKubeApi, type TKubeApi, type TKubeApiBins } from "../testing/kube-api.ts";
import { PROFILES, sampleDeployment, sampleDesiredState } from "../testing/samples.ts";

const toolchain = loadToolchain();
/** A node's address as an operator names it (a documentation range: no such node exists). */
const NODE_NETWORK = "203.0.113.7/32";
const bins = kubeApiBins(toolchain);
if (!bins) process.stderr.write("Kubernetes API tests skipped: set-up has not built etcd, kube-apiserver and kube-controller-manager\n");

describe.skipIf(!bins)("the Kubernetes tenant stack on a real API server", () => {
  let api: TKubeApi;
  const workDir = mkdtempSync(join(tmpdir(), "dsai-k8s-stack-"));
  const tofu = createTofu({ workDir, toolchain, timeoutMs: 5 * 60_000 });
  const apply = async (status: "active" | "suspended") => {
    synthStack(
      workDir,
      (app: App) =>
        new KubernetesTenantStack(
          app,
          "tenant-acme",
          { desiredState: sampleDesiredState("acme", { status }), deployment: sampleDeployment({ asteriskConfDir: "/srv/asterisk" }) },
          { host: api.host, token: api.token, insecure: true, waitForRollout: false, protectedNetworks: [NODE_NETWORK] },
        ),
    );
    if (!existsSync(join(workDir, ".terraform"))) await tofu.init();
    const plan = await tofu.plan();
    if (plan.hasChanges) await tofu.apply();
    return plan;
  };
  const get = async (path: string) => {
    const res = await api.call("GET", path);
    expect(res.status, `${path}: ${JSON.stringify(res.body).slice(0, 300)}`).toBe(200);
    return res.body as { items?: { metadata: { name: string } }[]; spec?: Record<string, unknown>; data?: Record<string, string> };
  };
  const names = (list: { items?: { metadata: { name: string } }[] }) => (list.items ?? []).map((i) => i.metadata.name).sort();

  beforeAll(async () => {
    api = await startKubeApi(bins as TKubeApiBins);
  }, 120_000);

  afterAll(async () => {
    await api?.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  it("applies a tenant whose every object the API accepts and returns with the intended spec", async () => {
    await apply("active");
    expect((await get("/api/v1/namespaces/dsai-acme")).spec).toBeDefined();
    expect(names(await get("/apis/networking.k8s.io/v1/namespaces/dsai-acme/networkpolicies"))).toEqual([
      "core",
      "db",
      "default-deny",
      "providers",
    ]);
    expect(names(await get("/api/v1/namespaces/dsai-acme/resourcequotas"))).toEqual(["tenant-quota"]);
    expect(names(await get("/api/v1/namespaces/dsai-acme/limitranges"))).toEqual(["tenant-limits"]);
    expect(names(await get("/apis/apps/v1/namespaces/dsai-acme/deployments"))).toEqual(
      ["core", `prov-${PROFILES.asr}`, `prov-${PROFILES.llm}`].sort(),
    );
    expect(names(await get("/api/v1/namespaces/dsai-acme/services"))).toEqual(
      ["core", "db", `prov-${PROFILES.asr}`, `prov-${PROFILES.llm}`].sort(),
    );
    const db = await get("/apis/apps/v1/namespaces/dsai-acme/statefulsets/db");
    expect(db.spec).toMatchObject({ replicas: 1, serviceName: "db", volumeClaimTemplates: [{ metadata: { name: "data" } }] });
    const ingress = await get("/apis/networking.k8s.io/v1/namespaces/dsai-acme/ingresses/core");
    expect(ingress.spec).toMatchObject({ ingressClassName: "traefik", rules: [{ host: "acme.dsai.localhost" }] });
    const files = await get("/api/v1/namespaces/dsai-acme/secrets/asterisk-files");
    // Stored as generated: the dialplan's variables went through Terraform untouched.
    expect(Buffer.from(files.data?.["extensions.conf"] ?? "", "base64").toString()).toMatch(
      /Dial\(AudioSocket\/core-acme:9092\/\$\{DSAI_CALL\}\/c\(slin\),,g\)/,
    );
    const deny = await get("/apis/networking.k8s.io/v1/namespaces/dsai-acme/networkpolicies/default-deny");
    expect(deny.spec).toEqual({ podSelector: {}, policyTypes: ["Ingress", "Egress"] });
  }, 300_000);

  it("enforces Pod Security 'restricted' in the tenant's namespace: the tenant's own pods pass, a pod with a capability or as its image says is refused", async () => {
    const namespace = (await get("/api/v1/namespaces/dsai-acme")) as unknown as { metadata: { labels: Record<string, string> } };
    expect(namespace.metadata.labels).toMatchObject({ "pod-security.kubernetes.io/enforce": "restricted" });
    type TTemplate = { spec: { template: { metadata: { labels: Record<string, string> }; spec: Record<string, unknown> } } };
    const podOf = async (path: string, extraVolumes: unknown[] = []) => {
      const { template } = ((await get(path)) as unknown as TTemplate).spec;
      const spec = { ...template.spec, volumes: [...((template.spec.volumes as unknown[]) ?? []), ...extraVolumes] };
      return { apiVersion: "v1", kind: "Pod", metadata: { generateName: "check-", labels: template.metadata.labels }, spec };
    };
    // The namespace's default service account, as a cluster's controller manager makes it (this
    // one runs without that controller); the pods do not mount its token.
    const account = await api.call("POST", "/api/v1/namespaces/dsai-acme/serviceaccounts", {
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: { name: "default" },
    });
    expect([201, 409]).toContain(account.status);
    // Each pod the tenant's controllers would create, submitted as a dry run: the API's own admission decides.
    const pods = [
      await podOf("/apis/apps/v1/namespaces/dsai-acme/deployments/core"),
      await podOf(`/apis/apps/v1/namespaces/dsai-acme/deployments/prov-${PROFILES.asr}`),
      // The claim's volume is the StatefulSet's to add: an empty folder stands in for it.
      await podOf("/apis/apps/v1/namespaces/dsai-acme/statefulsets/db", [{ name: "data", emptyDir: {} }]),
    ];
    for (const pod of pods) {
      expect(pod.spec).toMatchObject({ automountServiceAccountToken: false, securityContext: { runAsNonRoot: true } });
      const res = await api.call("POST", "/api/v1/namespaces/dsai-acme/pods?dryRun=All", pod);
      expect(res.status, JSON.stringify(res.body).slice(0, 400)).toBe(201);
    }
    // (This API server runs without --allow-privileged, which refuses a privileged pod before
    // admission; these two are valid pods that only the namespace's standard refuses.)
    const hostile = [
      {
        name: "with-a-capability",
        image: "dsai/providers:test",
        securityContext: {
          runAsNonRoot: true,
          runAsUser: 65534,
          allowPrivilegeEscalation: false,
          seccompProfile: { type: "RuntimeDefault" },
          capabilities: { drop: ["ALL"], add: ["NET_RAW"] },
        },
      },
      { name: "as-image-says", image: "dsai/providers:test" },
    ];
    for (const container of hostile) {
      const res = await api.call("POST", "/api/v1/namespaces/dsai-acme/pods?dryRun=All", {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: container.name },
        spec: { containers: [container] },
      });
      expect({ name: container.name, status: res.status, message: String(res.body.message) }).toMatchObject({
        name: container.name,
        status: 403,
        message: expect.stringContaining("violates PodSecurity"),
      });
    }
    // The nodes and the API server are outside every egress, as are the internal ranges.
    const core = await get("/apis/networking.k8s.io/v1/namespaces/dsai-acme/networkpolicies/core");
    const blocks = JSON.stringify(core.spec);
    for (const network of ["127.0.0.0/8", "169.254.0.0/16", "10.0.0.0/8", NODE_NETWORK]) expect(blocks).toContain(`"${network}"`);
  }, 120_000);

  it("plans no change when applied again", async () => {
    expect((await apply("active")).hasChanges).toBe(false);
  }, 120_000);

  it("suspends to zero replicas, keeping the Postgres claim template", async () => {
    await apply("suspended");
    const deployments = (await get("/apis/apps/v1/namespaces/dsai-acme/deployments")) as unknown as {
      items: { spec: { replicas: number } }[];
    };
    expect(deployments.items.map((d) => d.spec.replicas)).toEqual([0, 0, 0]);
    expect((await get("/apis/apps/v1/namespaces/dsai-acme/statefulsets/db")).spec).toMatchObject({
      replicas: 0,
      volumeClaimTemplates: [{ metadata: { name: "data" } }],
    });
  }, 120_000);

  it("is what the provisioner applies and destroys with the kubernetes target", async () => {
    const provisioner = createProvisioner({
      stateRoot: join(workDir, "tenants"),
      toolchain,
      target: { kind: "kubernetes", cluster: { host: api.host, token: api.token, insecure: true, waitForRollout: false } },
    });
    const input = {
      desiredState: sampleDesiredState("globex"),
      deployment: sampleDeployment({ asteriskConfDir: join(workDir, "asterisk") }),
    };
    const result = await provisioner.apply(input);
    expect(result.outputs).toMatchObject({ tenant_namespace: "dsai-globex", tenant_host: "globex.dsai.localhost" });
    expect(names(await get("/apis/apps/v1/namespaces/dsai-globex/deployments"))).toContain("core");
    expect((await provisioner.plan(input)).hasChanges).toBe(false);
    await provisioner.destroy("globex");
    expect(existsSync(provisioner.workDirOf("globex"))).toBe(false);
  }, 300_000);

  it("destroys the tenant: its namespace goes", async () => {
    await tofu.destroy();
    const deadline = Date.now() + 60_000;
    let status = 200;
    while (Date.now() < deadline && status !== 404) {
      status = (await api.call("GET", "/api/v1/namespaces/dsai-acme")).status;
      if (status !== 404) await new Promise((r) => setTimeout(r, 500));
    }
    expect(status).toBe(404);
  }, 120_000);
});
