// The local platform on Docker, for real: the platform stack (shared networks, Traefik, the
// shared Asterisk with the configuration it writes) applied with tofu, then a tenant through the
// provisioner: Traefik routes <slug>.<domain> to the tenant's core, the shared Asterisk boots
// clean and — reloaded through its ARI after the apply — holds the tenant's endpoints and
// dialplan; destroying both leaves nothing. The tenant is hostile too: one of its provider
// images carries Traefik labels that would take every host of the edge, and must take none.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAsteriskControl, type TAsteriskControl } from "@dsai/asterisk";
import { freePort } from "@dsai/postgres";
import type { App } from "cdktf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildAppImages } from "../../../scripts/images.ts";
import { PlatformStack } from "../src/platform/platform-stack.ts";
import { createProvisioner } from "../src/provisioner/provisioner.ts";
import { synthStack } from "../src/synth.ts";
import { createTofu } from "../src/tofu.ts";
import { loadToolchain } from "../src/toolchain.ts";
import { sampleDeployment, sampleDesiredState } from "../testing/samples.ts";

const recorded = JSON.parse(readFileSync(join(import.meta.dirname, "..", "..", "..", ".build", "images.json"), "utf8")) as Record<
  string,
  string | undefined
>;
const ready = Boolean(recorded.traefik && recorded.asterisk && recorded.postgres);
if (!ready) process.stderr.write("platform test skipped: set-up has not built the Traefik, Asterisk and Postgres images (npm run setup)\n");

/** GET with a Host header of our choosing (fetch does not let a caller set Host). */
function getWithHost(port: number, path: string, host: string): Promise<{ status: number; body: string; location?: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, headers: { host }, timeout: 10_000 }, (res) => {
      let body = "";
      res.on("data", (d: Buffer) => {
        body += d.toString();
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body, ...(res.headers.location && { location: res.headers.location }) }));
    });
    req.on("timeout", () => req.destroy(new Error(`GET ${host}${path}: no answer in 10 s`)));
    req.on("error", reject);
    req.end();
  });
}

/**
 * A provider image as a hostile tenant would bring it: the providers image plus Traefik labels
 * (Docker copies an image's labels onto its containers) for a router of the highest priority on
 * every host, redirecting to the attacker — what took the console's sign-in before Traefik
 * stopped reading labels.
 */
function buildLabelledImage(base: string, tag: string): void {
  const labels = {
    "traefik.enable": "true",
    "traefik.http.routers.takeover.rule": "HostRegexp(`.+`)",
    "traefik.http.routers.takeover.priority": "2147483000",
    "traefik.http.routers.takeover.entrypoints": "web",
    "traefik.http.routers.takeover.middlewares": "takeover",
    "traefik.http.middlewares.takeover.redirectregex.regex": ".*",
    "traefik.http.middlewares.takeover.redirectregex.replacement": "http://attacker.example/",
    "traefik.http.services.takeover.loadbalancer.server.port": "8080",
  };
  const dockerfile = `FROM ${base}\n${Object.entries(labels)
    .map(([k, v]) => `LABEL "${k}"="${v}"`)
    .join("\n")}\n`;
  execFileSync("docker", ["build", "--quiet", "--tag", tag, "-"], { input: dockerfile, encoding: "utf8" });
}
const TAKEOVER_PROFILE = "55555555-5555-4555-8555-555555555555";

const run = (args: string[]) => execFileSync("docker", args, { encoding: "utf8" }).trim();
const lines = (text: string) => text.split("\n").filter(Boolean);
const name = `dsai-pt${randomBytes(2).toString("hex")}`;
const slug = `plat${randomBytes(2).toString("hex")}`;
const scratch = mkdtempSync(join(tmpdir(), "dsai-platform-"));
const confDir = join(scratch, "asterisk");
const traefikConfDir = join(scratch, "traefik");
const labelledImage = `dsai/labelled-provider:${slug}`;
const toolchain = loadToolchain();

describe.skipIf(!ready)("the local platform on Docker", () => {
  const platformTofu = createTofu({ workDir: join(scratch, "platform"), toolchain, timeoutMs: 5 * 60_000 });
  const provisioner = createProvisioner({ stateRoot: join(scratch, "tenants"), toolchain });
  let ports: { http: number; sip: number; ari: number };
  let control: TAsteriskControl | undefined;
  const ari = { user: "dsai", password: randomBytes(18).toString("base64url") };

  beforeAll(async () => {
    ports = { http: await freePort(), sip: await freePort(), ari: await freePort() };
    synthStack(
      join(scratch, "platform"),
      (app: App) =>
        new PlatformStack(app, "platform", {
          name,
          images: { traefik: recorded.traefik, asterisk: recorded.asterisk },
          asteriskConfDir: confDir,
          traefikConfDir,
          asteriskNetwork: { subnet: "172.30.250.0/24", asteriskAddress: "172.30.250.10" },
          ports,
          ari,
        }),
    );
    await platformTofu.init();
    await platformTofu.plan();
    await platformTofu.apply();
  }, 600_000);

  afterAll(async () => {
    await control?.close();
    await provisioner.destroy(slug).catch(() => {});
    await platformTofu.destroy().catch(() => {});
    execFileSync("docker", ["image", "rm", "--force", labelledImage], { stdio: "ignore" });
    for (const filter of [`label=dsai.platform=${name}`, `label=dsai.tenant=${slug}`]) {
      const ids = lines(run(["ps", "--all", "--filter", filter, "--quiet"]));
      if (ids.length > 0) run(["rm", "--force", ...ids]);
    }
    rmSync(scratch, { recursive: true, force: true });
  });

  it("runs Traefik and a shared Asterisk that boots its configuration clean and answers ARI", async () => {
    const deadline = Date.now() + 20_000;
    let ping = 0;
    while (Date.now() < deadline && ping !== 200) {
      ping = await fetch(`http://127.0.0.1:${ports.http}/ping`).then(
        (r) => r.status,
        () => 0,
      );
      if (ping !== 200) await new Promise((r) => setTimeout(r, 250));
    }
    expect(ping).toBe(200);
    control = await createAsteriskControl({ url: `http://127.0.0.1:${ports.ari}`, ...ari, attempts: 8 });
    const log = run(["exec", `${name}-asterisk`, "cat", "/var/log/asterisk/messages.log"]);
    expect(lines(log).filter((l) => /\] ERROR\[/.test(l))).toEqual([]);
  }, 60_000);

  it("provisions a tenant: Traefik routes <slug>.<domain> to its core, and the shared Asterisk holds its objects after a reload through ARI", async () => {
    const apps = await buildAppImages();
    buildLabelledImage(apps.providers, labelledImage);
    const withControl = createProvisioner({ stateRoot: join(scratch, "tenants"), toolchain, asterisk: control as TAsteriskControl });
    const deployment = {
      ...sampleDeployment({ asteriskConfDir: confDir, images: { core: apps.core, postgres: recorded.postgres as string } }),
      edgeRoutesDir: traefikConfDir,
      platformContainers: [`${name}-asterisk`, `${name}-traefik`],
    };
    const sample = sampleDesiredState(slug, { providersImage: apps.providers });
    const takeover = {
      id: TAKEOVER_PROFILE,
      name: "Labelled TTS",
      kind: "tts" as const,
      runtime: { type: "image" as const, image: labelledImage, port: 8080, args: ["tts"] },
    };
    const state = { ...sample, providerProfiles: [...(sample.providerProfiles ?? []), takeover] };
    const result = await withControl.apply({ desiredState: state, deployment });
    expect(result.reloaded).toEqual(["res_pjsip.so", "pbx_config.so"]);
    // The stacks' folders hold the ARI password and the tenant's passwords: the platform user's alone.
    for (const dir of [join(scratch, "platform"), join(scratch, "tenants", slug)]) {
      expect({ dir, mode: statSync(dir).mode & 0o777 }).toEqual({ dir, mode: 0o700 });
      expect(statSync(join(dir, "cdk.tf.json")).mode & 0o777).toBe(0o600);
    }
    // The labels did reach the tenant's container: only Traefik's not reading them keeps the edge.
    expect(run(["inspect", "--format", '{{index .Config.Labels "traefik.enable"}}', `dsai-${slug}-prov-${TAKEOVER_PROFILE}`])).toBe("true");

    const viaTraefik = async (host: string) => {
      const deadline = Date.now() + 20_000;
      for (;;) {
        const res = await getWithHost(ports.http, "/healthz", host);
        // Traefik picks up the tenant's new route file (and Asterisk's edge network) within a moment.
        if (res.status !== 404 || Date.now() > deadline) return res;
        await new Promise((r) => setTimeout(r, 250));
      }
    };
    expect(await viaTraefik(`${slug}.dsai.localhost`)).toEqual({ status: 200, body: JSON.stringify({ ok: true }) });
    // The labelled container took no host: not another tenant's, not the console's.
    for (const host of ["nobody.dsai.localhost", "app.dsai.localhost", "license.dsai.localhost"]) {
      const res = await getWithHost(ports.http, "/sign-in", host);
      expect({ host, status: res.status, location: res.location }).toEqual({ host, status: 404, location: undefined });
    }
    // Every container of the tenant runs with least privilege, the tenant's own image included.
    for (const container of lines(run(["ps", "--filter", `label=dsai.tenant=${slug}`, "--format", "{{.Names}}"]))) {
      const hostConfig = JSON.parse(run(["inspect", "--format", "{{json .HostConfig}}", container])) as Record<string, unknown>;
      expect({ container, ...hostConfig }).toMatchObject({
        container,
        CapDrop: ["ALL"],
        SecurityOpt: ["no-new-privileges:true"],
        ReadonlyRootfs: true,
        PidsLimit: 256,
        Privileged: false,
      });
    }
    // Traefik has no way to read labels at all: no Docker socket.
    expect(run(["inspect", "--format", "{{range .Mounts}}{{.Source}} {{end}}", `${name}-traefik`])).not.toContain("docker.sock");
    // The core's metrics are not served to the public, however the path is spelled.
    for (const path of ["/metrics", "/metrics/", "//metrics", "/METRICS", "/%6detrics", "/./metrics", "/x/../metrics", "/metrics?x=1"]) {
      const res = await getWithHost(ports.http, path, `${slug}.dsai.localhost`);
      expect({ path, status: res.status, body: res.body.includes("dsai_") }).toEqual({ path, status: 404, body: false });
    }

    // The shared Asterisk reaches the tenant's core on the tenant's edge network, by its host name.
    for (const port of [8080, 9092]) {
      expect(run(["exec", `${name}-asterisk`, "bash", "-c", `exec 3<>/dev/tcp/core-${slug}/${port} && echo open`])).toBe("open");
    }
    const endpoints = await (control as TAsteriskControl).listTenantEndpoints(slug);
    expect(endpoints.map((e) => e.resource).sort()).toEqual([`dsai_${slug}_phone_alice`, `dsai_${slug}_trunk_carrier`]);
    const dialplan = run(["exec", `${name}-asterisk`, "asterisk", "-C", "/etc/asterisk/asterisk.conf", "-rx", "dialplan show"]);
    expect(dialplan).toContain(`[ Context 'dsai_${slug}_call'`);
    expect(dialplan).toContain(`CURL(http://core-${slug}:8080/calls`);

    await withControl.destroy(slug);
    expect(existsSync(join(confDir, "tenants", slug))).toBe(false);
    expect(run(["exec", `${name}-asterisk`, "asterisk", "-C", "/etc/asterisk/asterisk.conf", "-rx", "dialplan show"])).not.toContain(
      `dsai_${slug}_`,
    );
    expect(lines(run(["ps", "--all", "--filter", `label=dsai.tenant=${slug}`, "--quiet"]))).toEqual([]);
  }, 600_000);

  it("destroys the platform, leaving nothing", async () => {
    await control?.close();
    control = undefined;
    await platformTofu.destroy();
    const left = [
      ...lines(run(["ps", "--all", "--filter", `label=dsai.platform=${name}`, "--quiet"])),
      ...lines(run(["network", "ls", "--filter", `label=dsai.platform=${name}`, "--quiet"])),
    ];
    expect(left).toEqual([]);
  }, 120_000);
});
