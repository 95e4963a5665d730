// The Docker tenant stack, synthesized: which resources a tenant gets, how they are wired and
// labelled, what suspension keeps, and that bad input is refused before anything is synthesized.
import { type App, Testing } from "cdktf";
import { describe, expect, it } from "vitest";
import { DockerTenantStack } from "../src/tenant/docker/tenant-stack.ts";
import { TenantStackInputError } from "../src/tenant/options.ts";
import { PROFILES, sampleDeployment, sampleDesiredState } from "../testing/samples.ts";

type TSynth = { resource: Record<string, Record<string, Record<string, unknown>>>; output: Record<string, { value: unknown }> };

function synth(input: unknown): TSynth {
  const app = Testing.app();
  const stack = new DockerTenantStack(app as App, "tenant-acme", input);
  return JSON.parse(Testing.synth(stack)) as TSynth;
}

const deployment = sampleDeployment({ asteriskConfDir: "/srv/dsai/asterisk" });
const containers = (s: TSynth) => Object.values(s.resource.docker_container ?? {});
/** Network names of a container; the tenant's own network is a reference to its resource. */
const networksOf = (c: Record<string, unknown>) =>
  (c.networks_advanced as { name: string }[])
    .map((n) => (/^\$\{docker_network\.[\w-]+\.name\}$/.test(n.name) ? "<tenant network>" : n.name))
    .sort();

describe("the Docker tenant stack", () => {
  it("gives an active tenant an internal network, its Postgres with a volume, one container per image profile, and its core", () => {
    const s = synth({ desiredState: sampleDesiredState("acme"), deployment });
    expect(
      Object.values(s.resource.docker_network ?? {})
        .map((n) => [n.name, n.internal])
        .sort(),
    ).toEqual([
      ["dsai-acme-edge", true],
      ["dsai-acme-net", true],
    ]);
    expect(Object.values(s.resource.docker_volume ?? {})).toEqual([expect.objectContaining({ name: "dsai-acme-pgdata" })]);
    expect(
      containers(s)
        .map((c) => c.name)
        .sort(),
    ).toEqual(["dsai-acme-core", "dsai-acme-db", `dsai-acme-prov-${PROFILES.asr}`, `dsai-acme-prov-${PROFILES.llm}`].sort());
    for (const c of containers(s)) {
      expect(c).toMatchObject({ restart: "unless-stopped" });
      expect(c.memory).toBeGreaterThan(0);
      expect(c.labels).toEqual(expect.arrayContaining([{ label: "dsai.tenant", value: "acme" }]));
    }
    const provider = containers(s).find((c) => c.name === `dsai-acme-prov-${PROFILES.asr}`);
    expect(provider).toMatchObject({
      image: "dsai/providers:test",
      command: ["asr"],
      networks_advanced: [{ aliases: [`prov-${PROFILES.asr}`] }],
    });
    expect(networksOf(provider as Record<string, unknown>)).toEqual(["<tenant network>"]);
  });

  it("puts only the core on the tenant's edge network, routed at <slug>.<base domain> by a file of the platform's, not by labels", () => {
    const s = synth({
      desiredState: sampleDesiredState("acme"),
      deployment: { ...deployment, edgeRoutesDir: "/srv/dsai/traefik", proxySourceRange: "172.30.246.0/24" },
    });
    const core = containers(s).find((c) => c.name === "dsai-acme-core") as Record<string, unknown>;
    // The private network and the edge network (both the tenant's own, by reference).
    expect(networksOf(core)).toEqual(["<tenant network>", "<tenant network>"]);
    for (const c of containers(s).filter((x) => x !== core)) expect(networksOf(c)).toEqual(["<tenant network>"]);
    for (const c of containers(s)) expect((c.labels as { label: string }[]).filter((l) => l.label.startsWith("traefik."))).toEqual([]);
    const routes = Object.values(s.resource.local_file ?? {}) as { filename: string; content: string }[];
    expect(routes.map((r) => r.filename)).toEqual(["/srv/dsai/traefik/tenant-acme.yml"]);
    expect(JSON.parse(routes[0]?.content ?? "")).toEqual({
      http: {
        routers: {
          "tenant-acme": {
            rule: "Host(`acme.dsai.localhost`) && !PathRegexp(`(?i)^/+metrics(?:/|$)`)",
            service: "tenant-acme",
            entryPoints: ["web"],
            middlewares: ["tenant-acme-proxy-only"],
          },
        },
        services: { "tenant-acme": { loadBalancer: { servers: [{ url: "http://core-acme:8080" }] } } },
        middlewares: { "tenant-acme-proxy-only": { ipAllowList: { sourceRange: ["172.30.246.0/24"] } } },
      },
    });
    expect(core.env).toEqual(
      expect.arrayContaining(["CORE_TENANT_SLUG=acme", `CORE_DATABASE_URL=postgres://core:${"d".repeat(32)}@db:5432/tenant`]),
    );
    expect(core.healthcheck).toBeDefined();
    expect(core.wait).toBe(true);
  });

  it("runs every container of the tenant, its own images and the platform's, with least privilege", () => {
    const s = synth({ desiredState: sampleDesiredState("acme"), deployment });
    expect(containers(s)).toHaveLength(4);
    for (const c of containers(s)) {
      expect(c).toMatchObject({
        capabilities: { drop: ["ALL"] },
        security_opts: ["no-new-privileges:true"],
        read_only: true,
        tmpfs: expect.objectContaining({ "/tmp": "rw,nosuid,nodev,size=64m" }),
      });
      expect(c.privileged).toBeUndefined();
      expect(c.capabilities).not.toHaveProperty("add");
    }
  });

  it("writes the tenant's Asterisk files into the shared Asterisk's tenant folder, passwords opened, the core named by its shared host", () => {
    const s = synth({ desiredState: sampleDesiredState("acme"), deployment });
    const files = Object.values(s.resource.local_sensitive_file ?? {}) as { filename: string; content: string }[];
    expect(files.map((f) => f.filename).sort()).toEqual([
      "/srv/dsai/asterisk/tenants/acme/extensions.conf",
      "/srv/dsai/asterisk/tenants/acme/pjsip.conf",
    ]);
    const ext = files.find((f) => f.filename.endsWith("extensions.conf"))?.content ?? "";
    expect(ext).toContain("CURL(http://core-acme:8080/calls?token=");
    expect(ext).toContain("Dial(AudioSocket/core-acme:9092/");
    expect(files.find((f) => f.filename.endsWith("pjsip.conf"))?.content).toContain("password=trunk-pass-123456");
  });

  it("keeps a suspended tenant's network and data but runs nothing, and its numbers refuse", () => {
    const s = synth({
      desiredState: sampleDesiredState("acme", { status: "suspended" }),
      deployment: { ...deployment, edgeRoutesDir: "/srv/t" },
    });
    expect(containers(s)).toEqual([]);
    expect(s.resource.local_file).toBeUndefined();
    expect(Object.keys(s.resource.docker_volume ?? {})).toHaveLength(1);
    expect(Object.keys(s.resource.docker_network ?? {})).toHaveLength(2);
    const ext = Object.values(s.resource.local_sensitive_file ?? {}).find((f) => String(f.filename).endsWith("extensions.conf"));
    expect(ext?.content).not.toContain("CURL");
  });

  it("refuses bad input before synthesis, naming every bad field", () => {
    const bad = {
      desiredState: { ...sampleDesiredState("acme"), slug: "Acme;" },
      deployment: { ...deployment, images: { core: "x y", postgres: "dsai/postgres:test" } },
    };
    let error: unknown;
    try {
      synth(bad);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(TenantStackInputError);
    expect((error as TenantStackInputError).issues.map((i) => i.path)).toEqual(
      expect.arrayContaining(["desiredState.slug", "deployment.images.core"]),
    );
  });

  it("synthesizes a whole tenant the same way every time (snapshot)", () => {
    expect(synth({ desiredState: sampleDesiredState("acme"), deployment })).toMatchSnapshot();
  });
});
