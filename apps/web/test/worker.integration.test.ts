// Provisioning from the console's queue, for real: a tenant created through the API is
// provisioned by the worker on the local Docker engine with tofu (license and key from a real
// License Service), suspended, reactivated and deleted, each run keeping its plan summary,
// event log and timings; and a worker killed in the middle of an apply leaves a run that the
// next worker picks up and finishes.
import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TLicenseServer } from "@dsai/license";
import { createProvisioner, loadToolchain } from "@dsai/stacks";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { buildAppImages } from "../../../scripts/images.ts";
import { createLicenseAdmin } from "../src/server/license/admin-client.ts";
import { reconcileAll } from "../src/server/tenants/lifecycle.ts";
import { parseWorkerConfig } from "../src/worker/config.ts";
import { createRunExecutor } from "../src/worker/executor.ts";
import { startConsoleHarness, startTestLicense, type TConsoleHarness } from "./harness.ts";

const recorded = JSON.parse(readFileSync(join(import.meta.dirname, "..", "..", "..", ".build", "images.json"), "utf8")) as Record<
  string,
  string | undefined
>;
const ready = Boolean(recorded.postgres);
if (!ready) process.stderr.write("worker test skipped: set-up has not built the Postgres image (npm run setup)\n");

const docker = (args: string[]) => execFileSync("docker", args, { encoding: "utf8" }).trim();
const leftovers = (slug: string) =>
  ["ps --all", "network ls", "volume ls"].flatMap((what) =>
    docker([...what.split(" "), "--filter", `label=dsai.tenant=${slug}`, "--quiet"])
      .split("\n")
      .filter(Boolean),
  );
const ADMIN_TOKEN = randomBytes(24).toString("hex");
const scratch = mkdtempSync(join(tmpdir(), "dsai-worker-"));
const slugs = { life: `wl${randomBytes(2).toString("hex")}`, crash: `wc${randomBytes(2).toString("hex")}` };

describe.skipIf(!ready)("the provisioning worker", () => {
  let h: TConsoleHarness;
  let license: TLicenseServer;
  let config: ReturnType<typeof parseWorkerConfig>;
  let rawConfig: Record<string, unknown>;

  beforeAll(async () => {
    h = await startConsoleHarness();
    license = await startTestLicense(h.adminUrl, ADMIN_TOKEN);
    const images = await buildAppImages();
    rawConfig = {
      databaseUrl: h.databaseUrl,
      secretKey: randomBytes(32).toString("base64"),
      baseDomain: "dsai.localhost",
      stateRoot: join(scratch, "state"),
      images: { core: images.core, postgres: recorded.postgres },
      asteriskConfDir: join(scratch, "asterisk"),
      platformContainers: [],
      license: { adminUrl: license.url, adminToken: ADMIN_TOKEN, urlForCores: "http://license.dsai.localhost:7400" },
      runLeaseMs: 4_000,
    };
    config = parseWorkerConfig(rawConfig);
  }, 600_000);

  afterAll(async () => {
    const provisioner = createProvisioner({ stateRoot: join(scratch, "state"), toolchain: loadToolchain() });
    for (const slug of Object.values(slugs)) {
      await provisioner.destroy(slug).catch((err) => process.stderr.write(`cleanup: destroy ${slug}: ${err.message}\n`));
      // Whatever a failed test left behind, by label.
      for (const kind of ["container", "network", "volume"]) {
        const found = docker([kind, "ls", ...(kind === "container" ? ["--all"] : []), "--quiet", "--filter", `label=dsai.tenant=${slug}`]);
        if (found) docker([kind, "rm", ...(kind === "network" ? [] : ["--force"]), ...found.split("\n")]);
      }
    }
    await license?.stop();
    await h?.close();
    rmSync(scratch, { recursive: true, force: true });
  }, 300_000);

  it("provisions, suspends, reactivates and deletes a tenant from the queue, recording every run", async () => {
    onTestFinished(
      await h.startWorker({
        provisioner: createProvisioner({ stateRoot: config.stateRoot, toolchain: loadToolchain() }),
        license: createLicenseAdmin({ url: license.url, adminToken: ADMIN_TOKEN }),
        config,
      }),
    );
    const owner = h.sessionOf(await h.make.user());
    const caller = h.callerAs(owner);
    const slug = slugs.life;
    await caller.tenant.create({ slug, name: "Worker life" });

    const active = await h.waitForTenant(slug, "active");
    expect(
      docker(["ps", "--filter", `label=dsai.tenant=${slug}`, "--format", "{{.Names}}"])
        .split("\n")
        .sort(),
    ).toEqual([`dsai-${slug}-core`, `dsai-${slug}-db`]);
    // The license is the tenant's (same id), with the initial credit; its key is stored sealed only.
    expect(active.licenseId).toBe(active.id);
    expect((await license.admin.showLicense(active.id)).status).toBe("active");
    expect(active.licenseKeyEncrypted).toMatch(/^v1\./);
    expect(JSON.stringify(active)).not.toMatch(/dsai_lk_/);
    const [created] = await caller.tenant.runs({ tenant: slug });
    expect(created).toMatchObject({ action: "create", status: "succeeded", progress: 100, phase: "done", error: null });
    expect(created?.planSummary).toMatchObject({ add: expect.any(Number), hasChanges: true });
    expect(created?.durationMs).toBeGreaterThan(0);
    const log = await caller.tenant.runEvents({ tenant: slug, runId: created?.id as string, afterSeq: 0 });
    const phases = log.events
      .map((e) => e.event as { type: string; phase?: string })
      .filter((e) => e.type === "phase")
      .map((e) => e.phase);
    expect(phases).toEqual(["synth", "init", "plan", "apply", "done"]);
    expect(log.events.map((e) => e.seq)).toEqual(log.events.map((_, i) => i + 1));
    const later = await caller.tenant.runEvents({ tenant: slug, runId: created?.id as string, afterSeq: 3 });
    expect(later.events[0]?.seq).toBe(4);

    await caller.tenant.suspend({ tenant: slug });
    await h.waitForTenant(slug, "suspended");
    expect(docker(["ps", "--filter", `label=dsai.tenant=${slug}`, "--quiet"])).toBe("");
    expect((await license.admin.showLicense(active.id)).status).toBe("suspended");

    // The platform's start re-applies live tenants: a suspended tenant stays suspended.
    expect(await reconcileAll(h.db, h.queue)).toContain(slug);
    const deadline = Date.now() + 120_000;
    while ((await caller.tenant.runs({ tenant: slug }))[0]?.status !== "succeeded") {
      if (Date.now() > deadline) throw new Error("the reconcile run did not finish");
      await new Promise((r) => setTimeout(r, 250));
    }
    expect((await caller.tenant.runs({ tenant: slug }))[0]?.action).toBe("update");
    expect((await h.db.tenant.findUniqueOrThrow({ where: { slug } })).status).toBe("suspended");
    expect(docker(["ps", "--filter", `label=dsai.tenant=${slug}`, "--quiet"])).toBe("");

    await caller.tenant.reactivate({ tenant: slug });
    await h.waitForTenant(slug, "active");
    expect((await license.admin.showLicense(active.id)).status).toBe("active");

    await caller.tenant.delete({ tenant: slug, confirmSlug: slug });
    const deleted = await h.waitForTenant(slug, "deleted");
    expect(leftovers(slug)).toEqual([]);
    expect((await license.admin.showLicense(active.id)).status).toBe("closed");
    expect(deleted.secretsSealed).toBeNull();
    expect((await caller.tenant.runs({ tenant: slug })).map((r) => [r.action, r.status])).toEqual([
      ["delete", "succeeded"],
      ["reactivate", "succeeded"],
      ["update", "succeeded"],
      ["suspend", "succeeded"],
      ["create", "succeeded"],
    ]);
    await expect(caller.tenant.checkSlug({ slug })).resolves.toMatchObject({ available: false });
  }, 600_000);

  it("finishes a run whose worker was killed during the apply: the next worker resumes it after the lease", async () => {
    const owner = h.sessionOf(await h.make.user());
    const slug = slugs.crash;
    const tenant = await h.make.tenant({ members: [{ userId: owner.id, role: "owner" }], status: "provisioning", slug });
    const run = await h.db.provisioningRun.create({ data: { tenantId: tenant.id, action: "create" } });
    // A worker process of its own (the real entry point), killed with SIGKILL once tofu applies.
    const worker = spawn(process.execPath, ["--import", "tsx", join(import.meta.dirname, "..", "src", "worker", "main.ts")], {
      env: { ...process.env, DSAI_WORKER_CONFIG: JSON.stringify(rawConfig) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let said = "";
    worker.stdout?.on("data", (d: Buffer) => {
      said += d.toString();
    });
    worker.stderr?.on("data", (d: Buffer) => {
      said += d.toString();
    });
    // Whatever happens below, this child does not outlive the test.
    onTestFinished(() => {
      if (worker.exitCode === null) worker.kill("SIGKILL");
    });
    const deadline = Date.now() + 180_000;
    for (;;) {
      const now = await h.db.provisioningRun.findUniqueOrThrow({ where: { id: run.id } });
      if (now.phase === "apply") break;
      if (now.status === "failed") throw new Error(`the run failed: ${now.error}`);
      if (Date.now() > deadline || worker.exitCode !== null) throw new Error(`the worker never reached the apply:\n${said}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    worker.kill("SIGKILL");
    await new Promise((r) => worker.once("exit", r));
    expect((await h.db.provisioningRun.findUniqueOrThrow({ where: { id: run.id } })).status).toBe("running");

    const executor = createRunExecutor({
      db: h.db,
      provisioner: createProvisioner({ stateRoot: config.stateRoot, toolchain: loadToolchain() }),
      license: createLicenseAdmin({ url: license.url, adminToken: ADMIN_TOKEN }),
      config,
      log: () => {},
    });
    // Within the lease the dead worker still holds the run (a drain claims nothing); once the
    // lease runs out, the next worker takes the run over.
    const started = Date.now();
    await executor.drainTenant(tenant.id);
    expect((await h.db.provisioningRun.findUniqueOrThrow({ where: { id: run.id } })).attempts).toBe(1);
    while ((await h.db.provisioningRun.findUniqueOrThrow({ where: { id: run.id } })).status === "running") {
      if (Date.now() - started > 60_000) throw new Error("the run was never taken over");
      await new Promise((r) => setTimeout(r, 500));
      await executor.drainTenant(tenant.id);
    }
    const resumed = await h.db.provisioningRun.findUniqueOrThrow({ where: { id: run.id } });
    expect(resumed).toMatchObject({ status: "succeeded", attempts: 2, error: null });
    expect((await h.db.tenant.findUniqueOrThrow({ where: { id: tenant.id } })).status).toBe("active");
    expect(
      docker(["ps", "--filter", `label=dsai.tenant=${slug}`, "--format", "{{.Names}}"])
        .split("\n")
        .sort(),
    ).toEqual([`dsai-${slug}-core`, `dsai-${slug}-db`]);
    // One license for the tenant, however many attempts.
    expect((await license.admin.showLicense(tenant.id)).id).toBe(tenant.id);
  }, 600_000);
});
