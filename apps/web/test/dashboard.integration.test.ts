// A tenant's dashboard for real: the platform stack (Traefik, shared Asterisk) on the local
// Docker engine, the worker provisioning a tenant, and the console's procedures reaching that
// tenant's core in its container through Traefik by host name. An agent, a number and an API
// key are made through the console; the change is planned, shown, approved and applied — the
// shared Asterisk then routes the number; the core's refusals come back field by field, and a
// core that is down is reported as such.
import { execFile, execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { createAsteriskControl, type TAsteriskControl } from "@dsai/asterisk";
import type { TLicenseServer } from "@dsai/license";
import { freePort } from "@dsai/postgres";
import { createProvisioner, createTofu, forwardFromGateway, hostGatewayOf, loadToolchain, PlatformStack, synthStack } from "@dsai/stacks";
import { TRPCError } from "@trpc/server";
import type { App } from "cdktf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildAppImages } from "../../../scripts/images.ts";
import { createLicenseAdmin } from "../src/server/license/admin-client.ts";
import { viaProxy } from "../src/server/tenant-core/client.ts";
import { parseWorkerConfig } from "../src/worker/config.ts";
import { startConsoleHarness, startTestLicense, type TConsoleHarness, TEST_PLATFORM_KEY } from "./harness.ts";

const recorded = JSON.parse(readFileSync(join(import.meta.dirname, "..", "..", "..", ".build", "images.json"), "utf8")) as Record<
  string,
  string | undefined
>;
const ready = Boolean(recorded.postgres && recorded.traefik && recorded.asterisk);
if (!ready)
  process.stderr.write("dashboard test skipped: set-up has not built the Postgres, Traefik and Asterisk images (npm run setup)\n");

const execAsync = promisify(execFile);
const docker = (args: string[]) => execFileSync("docker", args, { encoding: "utf8" }).trim();
const ADMIN_TOKEN = randomBytes(24).toString("hex");
const scratch = mkdtempSync(join(tmpdir(), "dsai-dashboard-"));
const name = `dsai-dt${randomBytes(2).toString("hex")}`;
const slug = `dash${randomBytes(2).toString("hex")}`;
const confDir = join(scratch, "asterisk");
const TRAEFIK_SUBNET = "172.30.245.0/24";

describe.skipIf(!ready)("a tenant's dashboard through the console", () => {
  let h: TConsoleHarness;
  let license: TLicenseServer;
  let control: TAsteriskControl;
  let stopWorking: () => Promise<void>;
  let forwarding: { close(): Promise<void> } | undefined;
  const platformTofu = createTofu({ workDir: join(scratch, "platform"), toolchain: loadToolchain(), timeoutMs: 5 * 60_000 });

  beforeAll(async () => {
    const ports = { http: await freePort(), sip: await freePort(), ari: await freePort() };
    const ari = { user: "dsai", password: randomBytes(18).toString("base64url") };
    // The License Service first: Traefik routes license.<domain> to it, for the cores.
    h = await startConsoleHarness({ coreEndpoint: viaProxy(`http://127.0.0.1:${ports.http}`), providersImage: "dsai/providers:dashboard" });
    license = await startTestLicense(h.adminUrl, ADMIN_TOKEN);
    const licensePort = Number(new URL(license.url).port);
    synthStack(
      join(scratch, "platform"),
      (app: App) =>
        new PlatformStack(app, "platform", {
          name,
          images: { traefik: recorded.traefik, asterisk: recorded.asterisk },
          asteriskConfDir: confDir,
          asteriskNetwork: { subnet: "172.30.247.0/24", asteriskAddress: "172.30.247.10" },
          ports,
          ari,
          traefikNetwork: { subnet: TRAEFIK_SUBNET },
          traefikConfDir: join(scratch, "traefik"),
          hostRoutes: [{ name: "license", host: "license.dsai.localhost", port: licensePort }],
        }),
    );
    await platformTofu.init();
    await platformTofu.plan();
    await platformTofu.apply();
    forwarding = await forwardFromGateway(hostGatewayOf(TRAEFIK_SUBNET), [licensePort]);
    control = await createAsteriskControl({ url: `http://127.0.0.1:${ports.ari}`, ...ari, attempts: 20 });

    const proxy = viaProxy(`http://127.0.0.1:${ports.http}`);
    const images = await buildAppImages();
    const config = parseWorkerConfig({
      databaseUrl: h.databaseUrl,
      secretKey: TEST_PLATFORM_KEY.toString("base64"),
      baseDomain: "dsai.localhost",
      stateRoot: join(scratch, "state"),
      images: { core: images.core, postgres: recorded.postgres },
      asteriskConfDir: confDir,
      edgeRoutesDir: join(scratch, "traefik"),
      platformContainers: [`${name}-asterisk`, `${name}-traefik`],
      tenantProxyUrl: `http://127.0.0.1:${ports.http}`,
      proxySourceRange: TRAEFIK_SUBNET,
      edgeAliases: { [`${name}-traefik`]: ["license.dsai.localhost"] },
      license: { adminUrl: license.url, adminToken: ADMIN_TOKEN, urlForCores: "http://license.dsai.localhost" },
    });
    stopWorking = await h.startWorker({
      provisioner: createProvisioner({ stateRoot: config.stateRoot, toolchain: loadToolchain(), asterisk: control }),
      license: createLicenseAdmin({ url: license.url, adminToken: ADMIN_TOKEN }),
      config,
      cores: { endpoint: proxy },
    });
  }, 900_000);

  afterAll(async () => {
    await stopWorking?.();
    await forwarding?.close();
    await control?.close();
    await createProvisioner({ stateRoot: join(scratch, "state"), toolchain: loadToolchain() })
      .destroy(slug)
      .catch((err) => process.stderr.write(`cleanup: ${err.message}\n`));
    await platformTofu.destroy().catch((err) => process.stderr.write(`cleanup: ${err.message}\n`));
    for (const filter of [`label=dsai.platform=${name}`, `label=dsai.tenant=${slug}`]) {
      const ids = docker(["ps", "--all", "--quiet", "--filter", filter]).split("\n").filter(Boolean);
      if (ids.length > 0) docker(["rm", "--force", ...ids]);
    }
    await license?.stop();
    await h?.close();
    rmSync(scratch, { recursive: true, force: true });
  }, 300_000);

  const until = async <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 180_000): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 300));
    }
  };

  it("configures the tenant through its core, then plans, approves and applies the change", async () => {
    const owner = h.sessionOf(await h.make.user());
    const member = h.sessionOf(await h.make.user());
    const console_ = h.callerAs(owner);
    await console_.tenant.create({ slug, name: "Dashboard" });
    await until("the tenant to be active", async () => {
      const t = await console_.tenant.get({ tenant: slug });
      if (t.status === "failed") throw new Error(`provisioning failed: ${t.latestRun?.error}`);
      return t.status === "active" ? t : undefined;
    });
    const tenantRow = await h.db.tenant.findUniqueOrThrow({ where: { slug } });
    await h.db.membership.create({ data: { tenantId: tenantRow.id, userId: member.id, role: "member" } });

    // Traefik picks up the new core's route within a moment.
    await until(
      "the core behind Traefik",
      () =>
        console_.agent.list({ tenant: slug }).then(
          (l) => l,
          () => undefined,
        ),
      30_000,
    );
    // The offline providers in one step; a second time adds nothing (the set is complete).
    expect((await console_.providerProfile.addOffline({ tenant: slug })).added).toHaveLength(3);
    expect((await console_.providerProfile.addOffline({ tenant: slug })).added).toEqual([]);
    const profiles = await console_.providerProfile.list({ tenant: slug });
    expect(profiles.map((p) => [p.kind, (p.runtime as { image?: string }).image]).sort()).toEqual([
      ["asr", "dsai/providers:dashboard"],
      ["llm", "dsai/providers:dashboard"],
      ["tts", "dsai/providers:dashboard"],
    ]);
    // Not part of the change planned below (their image exists only in name here).
    for (const p of profiles) await console_.providerProfile.delete({ tenant: slug, id: p.id });
    await console_.agent.create({ tenant: slug, data: { id: "support", name: "Support", greeting: "Hello!" } });
    await console_.number.create({ tenant: slug, data: { number: "+15551000", agentId: "support" } });
    expect((await h.callerAs(member).agent.list({ tenant: slug })).map((a) => a.id)).toEqual(["support"]);
    await expect(
      h.callerAs(member).number.create({ tenant: slug, data: { number: "+15551001", agentId: "support" } }),
    ).rejects.toMatchObject({
      code: "FORBIDDEN",
    });

    // The core's refusal, field by field.
    const bad = await console_.number.create({ tenant: slug, data: { number: "12;34", agentId: "support" } }).catch((e) => e);
    expect(bad).toBeInstanceOf(TRPCError);
    expect(bad.code).toBe("BAD_REQUEST");
    expect(bad.cause.issues.map((i: { path: string }) => i.path)).toEqual(["number"]);

    // An API key: its secret once, then only its id and label.
    const key = await console_.apiKey.create({ tenant: slug, data: { label: "CRM" } });
    expect(key.token).toMatch(/^dsai_/);
    const keys = await console_.apiKey.list({ tenant: slug });
    expect(keys.map((k) => k.label)).toEqual(["CRM"]);
    expect(JSON.stringify(keys)).not.toContain(key.token);
    expect(await console_.calls.list({ tenant: slug, filter: {} })).toEqual([]);

    // Plan: the new number changes the tenant's dialplan file; nothing is applied until approved.
    const planned = await console_.tenant.planChanges({ tenant: slug });
    const ready = await until("the plan", async () => {
      const runs = await console_.tenant.runs({ tenant: slug });
      const run = runs.find((r) => r.id === planned.id);
      if (run?.status === "failed") throw new Error(`plan failed: ${run.error}`);
      return run?.status === "planned" ? run : undefined;
    });
    expect((ready.planSummary as { resources: { address: string }[] }).resources.map((r) => r.address)).toEqual([
      expect.stringMatching(/^local_sensitive_file\.asterisk_extensions_/),
    ]);
    expect(readFileSync(join(confDir, "tenants", slug, "extensions.conf"), "utf8")).not.toContain("+15551000");
    await expect(console_.tenant.suspend({ tenant: slug })).rejects.toThrow(/planned change waits/);

    await console_.tenant.approveRun({ tenant: slug, runId: planned.id });
    await until("the approved change", async () => {
      const run = (await console_.tenant.runs({ tenant: slug })).find((r) => r.id === planned.id);
      if (run?.status === "failed") throw new Error(`apply failed: ${run.error}`);
      return run?.status === "succeeded" ? run : undefined;
    });
    expect(readFileSync(join(confDir, "tenants", slug, "extensions.conf"), "utf8")).toContain("exten => +15551000,1,");
    const dialplan = docker([
      "exec",
      `${name}-asterisk`,
      "asterisk",
      "-C",
      "/etc/asterisk/asterisk.conf",
      "-rx",
      `dialplan show dsai_${slug}_inbound`,
    ]);
    expect(dialplan).toContain("+15551000");
  }, 900_000);

  it("lets a core reach the License Service by name through Traefik, and no tenant's core through it", async () => {
    // Asynchronous: the License Service and the forwarder run in this process and must answer meanwhile.
    const inCore = async (script: string) => (await execAsync("docker", ["exec", `dsai-${slug}-core`, "node", "-e", script])).stdout.trim();
    // node:http, not fetch: fetch does not send a Host header of the caller's choosing.
    const status = (host: string, path: string, hostHeader = host) =>
      `require("http").get({host:"${host}",path:"${path}",headers:{host:"${hostHeader}"},timeout:5000},r=>{console.log(r.statusCode);process.exit(0)})` +
      `.on("timeout",()=>{console.log("timeout");process.exit(0)}).on("error",e=>{console.log("error "+e.message);process.exit(0)})`;
    // The name the core's license URL uses resolves on its edge network to Traefik, which routes it here.
    expect(await inCore(status("license.dsai.localhost", "/healthz"))).toBe("200");
    // A tenant's route is served to the platform (Traefik's own network), never to a core.
    // (The same request naming the License Service's host is routed: the refusal is the allowlist's.)
    expect(await inCore(status(`${name}-traefik`, "/healthz", "license.dsai.localhost"))).toBe("200");
    expect(await inCore(status(`${name}-traefik`, "/healthz", `${slug}.dsai.localhost`))).toBe("403");
    expect(
      (await h
        .callerAs(null)
        .tenant.list()
        .catch((e) => e.code)) as string,
    ).toBe("UNAUTHORIZED");
  }, 60_000);

  it("reports a core that does not answer as unavailable, and says why a suspended tenant cannot be configured", async () => {
    const owner = await h.db.membership.findFirstOrThrow({ where: { tenant: { slug }, role: "owner" }, include: { user: true } });
    const console_ = h.callerAs(h.sessionOf(owner.user));
    docker(["stop", `dsai-${slug}-core`]);
    try {
      const err = await console_.agent.list({ tenant: slug }).catch((e) => e);
      expect(err).toBeInstanceOf(TRPCError);
      expect(err.code).toBe("BAD_GATEWAY");
      expect(err.message).toMatch(/^The tenant's core is unavailable/);
    } finally {
      docker(["start", `dsai-${slug}-core`]);
    }
    await h.db.tenant.update({ where: { slug }, data: { status: "suspended" } });
    await expect(console_.agent.list({ tenant: slug })).rejects.toThrow(/The tenant is suspended/);
    await h.db.tenant.update({ where: { slug }, data: { status: "active" } });
  }, 120_000);
});
