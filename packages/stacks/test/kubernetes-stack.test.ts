// The Kubernetes tenant stack, synthesized: a namespace per tenant with default-deny network
// policies and exactly the allowances of the call path, quota and limits, Postgres as a
// StatefulSet with its claim, Deployments and Services, Secrets, an Ingress for Traefik, the
// Asterisk files; suspended, zero replicas with the claim kept.
import { type App, Testing } from "cdktf";
import { describe, expect, it } from "vitest";
import { KubernetesTenantStack } from "../src/tenant/kubernetes/tenant-stack.ts";
import { PROFILES, sampleDeployment, sampleDesiredState } from "../testing/samples.ts";

type TSynth = { resource: Record<string, Record<string, Record<string, unknown>>> };
const target = { host: "https://127.0.0.1:6443", token: "t", insecure: true };

function synth(status: "active" | "suspended" = "active"): TSynth {
  const app = Testing.app();
  const stack = new KubernetesTenantStack(
    app as App,
    "tenant-acme",
    { desiredState: sampleDesiredState("acme", { status }), deployment: sampleDeployment({ asteriskConfDir: "/srv/asterisk" }) },
    target,
  );
  return JSON.parse(Testing.synth(stack)) as TSynth;
}
const all = (s: TSynth, type: string) =>
  Object.values(s.resource[type] ?? {}) as { metadata: { name: string; namespace?: string }; spec: Record<string, unknown> }[];
const named = (s: TSynth, type: string, name: string) => all(s, type).find((r) => r.metadata.name === name);

describe("the Kubernetes tenant stack", () => {
  it("puts everything of the tenant in its own namespace", () => {
    const s = synth();
    expect(all(s, "kubernetes_namespace_v1").map((n) => n.metadata.name)).toEqual(["dsai-acme"]);
    for (const [type, resources] of Object.entries(s.resource)) {
      if (type === "kubernetes_namespace_v1") continue;
      for (const r of Object.values(resources))
        expect((r as { metadata: { namespace: string } }).metadata.namespace, type).toBe("dsai-acme");
    }
  });

  it("denies all traffic by default and allows only the call path", () => {
    const s = synth();
    expect(
      all(s, "kubernetes_network_policy_v1")
        .map((p) => p.metadata.name)
        .sort(),
    ).toEqual(["core", "db", "default-deny", "providers"]);
    expect(named(s, "kubernetes_network_policy_v1", "default-deny")?.spec).toEqual({
      pod_selector: {},
      policy_types: ["Ingress", "Egress"],
    });
    const core = named(s, "kubernetes_network_policy_v1", "core")?.spec as { ingress: { from: unknown[]; ports: { port: string }[] }[] };
    expect(core.ingress.map((i) => i.ports.map((p) => p.port))).toEqual([["8080", "9092"], ["8080"]]);
    const db = named(s, "kubernetes_network_policy_v1", "db")?.spec as { ingress: { from: { pod_selector: unknown }[] }[] };
    expect(db.ingress[0]?.from).toEqual([{ pod_selector: { match_labels: { app: "core" } } }]);
  });

  it("runs Postgres as a StatefulSet with a claim, a Deployment and Service per image profile, and the core", () => {
    const s = synth();
    const db = all(s, "kubernetes_stateful_set_v1")[0];
    expect(db?.spec).toMatchObject({ replicas: "1", service_name: "db", volume_claim_template: [{ metadata: { name: "data" } }] });
    expect(
      all(s, "kubernetes_deployment_v1")
        .map((d) => d.metadata.name)
        .sort(),
    ).toEqual(["core", `prov-${PROFILES.asr}`, `prov-${PROFILES.llm}`].sort());
    expect(
      all(s, "kubernetes_service_v1")
        .map((d) => d.metadata.name)
        .sort(),
    ).toEqual(["core", "db", `prov-${PROFILES.asr}`, `prov-${PROFILES.llm}`].sort());
    expect(all(s, "kubernetes_resource_quota_v1")).toHaveLength(1);
    expect(all(s, "kubernetes_limit_range_v1")).toHaveLength(1);
  });

  it("routes <slug>.<domain> through Traefik and carries the Asterisk files as a Secret", () => {
    const s = synth();
    const ingress = all(s, "kubernetes_ingress_v1")[0]?.spec as { ingress_class_name: string; rule: { host: string }[] };
    expect(ingress.ingress_class_name).toBe("traefik");
    expect(ingress.rule[0]?.host).toBe("acme.dsai.localhost");
    const files = named(s, "kubernetes_secret_v1", "asterisk-files") as unknown as { data: Record<string, string> };
    expect(Object.keys(files.data).sort()).toEqual(["extensions.conf", "pjsip.conf"]);
    expect(files.data["extensions.conf"]).toContain("CURL(http://core-acme:8080/calls");
  });

  it("suspends to zero replicas and keeps the claim", () => {
    const s = synth("suspended");
    for (const d of all(s, "kubernetes_deployment_v1")) expect(d.spec.replicas).toBe("0");
    expect(all(s, "kubernetes_stateful_set_v1")[0]?.spec).toMatchObject({
      replicas: "0",
      volume_claim_template: [{ metadata: { name: "data" } }],
    });
  });

  it("synthesizes a whole tenant the same way every time (snapshot)", () => {
    expect(synth()).toMatchSnapshot();
  });
});
