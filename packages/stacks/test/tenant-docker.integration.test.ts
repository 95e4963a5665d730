// A tenant on the local Docker engine, for real: its stack synthesized and applied with tofu
// from the offline mirror; its core answers on 127.0.0.1 and serves the tenant API from its own
// Postgres; a new number plans as exactly a change of the tenant's dialplan file; suspended,
// nothing runs but the data stays; resumed, the data is still there; destroyed, nothing of the
// tenant remains. Two tenants at once cannot reach each other, nor this machine.
import { execFileSync } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { signServiceToken, type TTenantDesiredStateInput } from "@dsai/contracts";
import { freePort } from "@dsai/postgres";
import type { App } from "cdktf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildAppImages, buildPostgresImage } from "../../../scripts/images.ts";
import { ensureHostFirewall } from "../src/platform/host-firewall.ts";
import { synthStack } from "../src/synth.ts";
import { POSTGRES_USER_IDS } from "../src/tenant/docker/database.ts";
import { DockerTenantStack } from "../src/tenant/docker/tenant-stack.ts";
import { createTofu } from "../src/tofu.ts";
import { loadToolchain } from "../src/toolchain.ts";
import { sampleDeployment } from "../testing/samples.ts";

const run = (args: string[]) => execFileSync("docker", args, { encoding: "utf8" }).trim();
const lines = (text: string) => text.split("\n").filter(Boolean);
const toolchain = loadToolchain();
const scratch = mkdtempSync(join(tmpdir(), "dsai-tenant-docker-"));
const asteriskConfDir = join(scratch, "asterisk");
let images: { core: string; postgres: string; providers: string };

/** Everything Docker holds of a tenant (by its label). */
function leftovers(slug: string): string[] {
  const filter = ["--filter", `label=dsai.tenant=${slug}`, "--quiet"];
  return [
    ...lines(run(["ps", "--all", ...filter])),
    ...lines(run(["network", "ls", ...filter])),
    ...lines(run(["volume", "ls", ...filter])),
  ];
}

function desiredState(slug: string, o: { status?: "active" | "suspended"; numbers?: string[] } = {}): TTenantDesiredStateInput {
  return {
    generatorVersion: 2,
    slug,
    status: o.status ?? "active",
    providerProfiles: [
      {
        id: "33333333-3333-4333-8333-333333333333",
        name: "espeak",
        kind: "tts",
        runtime: { type: "image", image: images.providers, port: 8080, args: ["tts"] },
      },
    ],
    agents: [{ id: "support", name: "Support", profiles: { tts: "33333333-3333-4333-8333-333333333333" } }],
    numbers: (o.numbers ?? ["+15551000"]).map((number) => ({ number, agentId: "support" })),
  };
}

async function tenant(slug: string) {
  const workDir = join(scratch, "state", slug);
  const port = await freePort();
  const deployment = sampleDeployment({
    asteriskConfDir,
    images: { core: images.core, postgres: images.postgres },
    publishCoreHttpOn: port,
  });
  const tofu = createTofu({ workDir, toolchain, timeoutMs: 5 * 60_000 });
  const synth = (state: TTenantDesiredStateInput) =>
    synthStack(workDir, (app: App) => new DockerTenantStack(app, `tenant-${slug}`, { desiredState: state, deployment }));
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    deployment,
    tofu,
    async apply(state: TTenantDesiredStateInput) {
      synth(state);
      if (!existsSync(join(workDir, ".terraform"))) await tofu.init();
      const plan = await tofu.plan();
      await tofu.apply();
      return plan;
    },
    async plan(state: TTenantDesiredStateInput) {
      synth(state);
      return tofu.plan();
    },
    destroy: () => tofu.destroy(),
    /** The tenant API through the published port, as the platform calls it. */
    async trpc(path: string, input?: unknown, method: "GET" | "POST" = "GET") {
      const headers = {
        authorization: `Bearer ${signServiceToken(deployment.secrets.platformSecret)}`,
        "content-type": "application/json",
      };
      const res =
        method === "GET"
          ? await fetch(
              `http://127.0.0.1:${port}/trpc/${path}${input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify(input))}`}`,
              { headers },
            )
          : await fetch(`http://127.0.0.1:${port}/trpc/${path}`, { method, headers, body: JSON.stringify(input) });
      const body = (await res.json()) as { result?: { data: unknown }; error?: unknown };
      if (!res.ok) throw new Error(`${path}: ${res.status} ${JSON.stringify(body.error)}`);
      return body.result?.data;
    },
  };
}

beforeAll(async () => {
  const apps = await buildAppImages();
  images = { core: apps.core, providers: apps.providers, postgres: await buildPostgresImage() };
}, 900_000);

afterAll(() => {
  for (const slug of ["life", "iso-a", "iso-b"]) {
    const ids = lines(run(["ps", "--all", "--filter", `label=dsai.tenant=${slug}`, "--quiet"]));
    if (ids.length > 0) run(["rm", "--force", ...ids]);
    for (const kind of ["network", "volume"]) {
      const left = lines(run([kind, "ls", "--filter", `label=dsai.tenant=${slug}`, "--quiet"]));
      if (left.length > 0) run([kind, "rm", ...left]);
    }
  }
  rmSync(scratch, { recursive: true, force: true });
});

describe("a tenant on the local Docker engine", () => {
  it("runs Postgres as POSTGRES_USER_IDS, the user its socket tmpfs and its Kubernetes pods are given", () => {
    const { user, group } = POSTGRES_USER_IDS;
    expect(run(["run", "--rm", "--entrypoint", "id", images.postgres])).toMatch(
      new RegExp(`^uid=${user}\\(postgres\\) gid=${group}\\(postgres\\)`),
    );
  }, 60_000);

  it("lives through create, a configuration change, suspend, resume and destroy, leaving nothing behind", async () => {
    const t = await tenant("life");
    const created = await t.apply(desiredState("life"));
    expect(created.add).toBeGreaterThanOrEqual(6);
    expect(await (await fetch(`${t.url}/healthz`)).json()).toEqual({ ok: true });
    // The tenant API answers from the tenant's own Postgres.
    await t.trpc("agents.create", { id: "kept", name: "Kept across suspension" }, "POST");
    expect(await t.trpc("tenant.status")).toEqual({ status: "active" });

    // A new number: exactly the tenant's dialplan file changes.
    const plan = await t.plan(desiredState("life", { numbers: ["+15551000", "+15551001"] }));
    expect(plan.resources).toEqual([{ address: expect.stringMatching(/^local_sensitive_file\.asterisk_extensions_/), action: "replace" }]);
    await t.tofu.apply();
    expect(readFileSync(join(asteriskConfDir, "tenants", "life", "extensions.conf"), "utf8")).toContain("exten => +15551001,1,");

    // Suspended: nothing runs, the network and the data volume stay, the numbers refuse.
    await t.apply(desiredState("life", { status: "suspended" }));
    expect(lines(run(["ps", "--filter", "label=dsai.tenant=life", "--quiet"]))).toEqual([]);
    expect(lines(run(["volume", "ls", "--filter", "label=dsai.tenant=life", "--quiet"]))).toHaveLength(1);
    expect(readFileSync(join(asteriskConfDir, "tenants", "life", "extensions.conf"), "utf8")).not.toContain("CURL");
    await expect(fetch(`${t.url}/healthz`, { signal: AbortSignal.timeout(2_000) })).rejects.toThrow();

    // Resumed: the data is still there.
    await t.apply(desiredState("life"));
    expect(((await t.trpc("agents.list")) as { id: string }[]).map((a) => a.id)).toContain("kept");
    // Re-planning the same state changes nothing.
    expect((await t.plan(desiredState("life"))).hasChanges).toBe(false);

    await t.destroy();
    expect(leftovers("life")).toEqual([]);
    expect(existsSync(join(asteriskConfDir, "tenants", "life", "extensions.conf"))).toBe(false);
    expect(existsSync(join(asteriskConfDir, "tenants", "life", "pjsip.conf"))).toBe(false);
  }, 600_000);

  it("keeps two tenants apart: from one tenant's core, the other's database, providers and core are unreachable", async () => {
    const a = await tenant("iso-a");
    const b = await tenant("iso-b");
    await Promise.all([a.apply(desiredState("iso-a")), b.apply(desiredState("iso-b"))]);
    // From inside A's core: a real TCP connection to each of B's containers, by address.
    const addressesOfB = lines(run(["ps", "--filter", "label=dsai.tenant=iso-b", "--format", "{{.Names}}"])).flatMap((name) =>
      lines(run(["inspect", "--format", "{{range .NetworkSettings.Networks}}{{.IPAddress}}\n{{end}}", name])).map((ip) => ({ name, ip })),
    );
    // Every address of every container of B (its core's too): none answers from A's core.
    const probe = (ip: string, port: number, from = "dsai-iso-a-core") =>
      run([
        "exec",
        from,
        "node",
        "-e",
        `const s=require("net").connect(${port},"${ip}");s.setTimeout(1500);s.on("connect",()=>{console.log("open");process.exit(0)});s.on("error",()=>{console.log("closed");process.exit(0)});s.on("timeout",()=>{console.log("closed");process.exit(0)})`,
      ]);
    expect(addressesOfB.length).toBeGreaterThanOrEqual(4); // database, provider, core on its two networks
    for (const { name, ip } of addressesOfB) {
      const ports = name.endsWith("-db") ? [5432] : name.endsWith("-core") ? [8080, 9092] : [8080];
      for (const port of ports) expect(`${name} ${ip}:${port} ${probe(ip, port)}`).toBe(`${name} ${ip}:${port} closed`);
    }
    // A's own database answers (the probe itself works).
    const ownDb =
      lines(run(["inspect", "--format", "{{range .NetworkSettings.Networks}}{{.IPAddress}}\n{{end}}", "dsai-iso-a-db"]))[0] ?? "";
    expect(probe(ownDb, 5432)).toBe("open");

    // Nor this machine: a listener on all of its addresses, tried at the gateway of each of A's
    // networks, from A's core and from a provider container (an image of the tenant's choosing).
    const host = createServer((socket) => socket.end()).listen(0, "0.0.0.0");
    await once(host, "listening");
    try {
      const port = (host.address() as { port: number }).port;
      await ensureHostFirewall(); // as set-up does at every start
      const gateways = lines(run(["network", "ls", "--filter", "label=dsai.tenant=iso-a", "--format", "{{.Name}}"])).flatMap((net) =>
        lines(run(["network", "inspect", "--format", "{{range .IPAM.Config}}{{.Gateway}}\n{{end}}", net])),
      );
      expect(gateways.length).toBe(3); // private, edge, publish
      const provider = lines(run(["ps", "--filter", "label=dsai.tenant=iso-a", "--filter", "name=-prov-", "--format", "{{.Names}}"]));
      expect(provider).toHaveLength(1);
      for (const from of ["dsai-iso-a-core", ...provider])
        for (const gateway of gateways)
          expect(`${from} -> ${gateway}:${port} ${probe(gateway, port, from)}`).toBe(`${from} -> ${gateway}:${port} closed`);
    } finally {
      host.close();
    }
    await Promise.all([a.destroy(), b.destroy()]);
    expect([...leftovers("iso-a"), ...leftovers("iso-b")]).toEqual([]);
  }, 600_000);
});
