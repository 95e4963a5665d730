// The provisioner, for real: tofu on the local Docker engine and a real Asterisk whose
// configuration directory the tenant's stack writes into. (A suspended tenant's stack is its
// network, its data volume and its Asterisk files: the lifecycle with running containers is in
// tenant-docker.integration.test.ts.) Progress arrives as typed events; only the Asterisk modules
// whose file changed are reloaded, through the real ARI; one run per tenant at a time, and a
// lock left by a killed run is recovered; bad input touches nothing; drift is seen; the ops CLI
// speaks JSON and exit codes.
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAsteriskControl, type TAsteriskControl } from "@dsai/asterisk";
import { asteriskForTests } from "@dsai/asterisk/testing/asterisk-install";
import { startRealAsterisk, type TRealAsterisk } from "@dsai/asterisk/testing/real-asterisk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TProvisionEvent } from "../src/provisioner/progress.ts";
import { createProvisioner, type TProvisioner } from "../src/provisioner/provisioner.ts";
import { RUN_LOCK_FILE, TenantBusyError } from "../src/provisioner/run-lock.ts";
import { TenantStackInputError } from "../src/tenant/options.ts";
import { loadToolchain } from "../src/toolchain.ts";
import { sampleDeployment, sampleDesiredState } from "../testing/samples.ts";

const install = asteriskForTests();
const scratch = mkdtempSync(join(tmpdir(), "dsai-provisioner-"));
const stateRoot = join(scratch, "terraform-state");
const slug = `prov${randomBytes(2).toString("hex")}`;

describe.skipIf(!install)("the provisioner", () => {
  let asterisk: TRealAsterisk;
  let control: TAsteriskControl;
  let provisioner: TProvisioner;
  const input = (o: { numbers?: string[] } = {}) => {
    const state = sampleDesiredState(slug, { status: "suspended" });
    if (o.numbers) state.numbers = o.numbers.map((number) => ({ number, agentId: "support" }));
    return { desiredState: state, deployment: sampleDeployment({ asteriskConfDir: asterisk.confDir }) };
  };

  beforeAll(async () => {
    asterisk = await startRealAsterisk({ install: install as NonNullable<typeof install> });
    control = await createAsteriskControl({ ...asterisk.ari, attempts: 5 });
    provisioner = createProvisioner({ stateRoot, toolchain: loadToolchain(), asterisk: control });
  }, 60_000);

  afterAll(async () => {
    await provisioner?.destroy(slug).catch(() => {});
    await control?.close();
    await asterisk?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  it("applies a tenant with typed progress, and the shared Asterisk loads its files after reloading only what changed", async () => {
    const events: TProvisionEvent[] = [];
    const result = await provisioner.apply(input(), { onEvent: (e) => events.push(e) });
    const phases = events.filter((e) => e.type === "phase").map((e) => (e as { phase: string }).phase);
    expect(phases).toEqual(["synth", "init", "plan", "apply", "reload", "done"]);
    const finished = events.filter((e) => e.type === "resource" && e.state === "finished").map((e) => (e as { address: string }).address);
    expect(finished.sort()).toEqual(result.plan.resources.map((r) => r.address).sort());
    expect(events.filter((e) => e.type === "progress").at(-1)).toMatchObject({ percent: 100 });
    expect(result.reloaded).toEqual(["res_pjsip.so", "pbx_config.so"]);
    expect(result.outputs).toMatchObject({ tenant_host: `${slug}.dsai.localhost`, status: "suspended" });
    expect(await asterisk.cli("dialplan show")).toContain(`[ Context 'dsai_${slug}_refuse'`);
    expect(await asterisk.cli("pjsip show endpoints")).toContain(`dsai_${slug}_trunk_carrier`);

    // A new number changes the dialplan file only: only pbx_config is reloaded.
    const changed = await provisioner.apply(input({ numbers: ["+15551000", "+15552222"] }));
    expect(changed.plan.resources).toEqual([
      { address: expect.stringMatching(/^local_sensitive_file\.asterisk_extensions_/), action: "replace" },
    ]);
    expect(changed.reloaded).toEqual(["pbx_config.so"]);
    expect(await asterisk.cli(`dialplan show dsai_${slug}_inbound`)).toContain("'+15552222'");
    // Nothing changed: nothing applied, nothing reloaded.
    const same = await provisioner.apply(input({ numbers: ["+15551000", "+15552222"] }));
    expect(same.plan.hasChanges).toBe(false);
    expect(same.reloaded).toEqual([]);
    expect(provisioner.list()).toEqual([slug]);
    expect(asterisk.errors()).toEqual([]);
  }, 300_000);

  it("retries a reload that failed (ARI down after an apply) on the next run, though tofu then changes nothing", async () => {
    const down = createProvisioner({
      stateRoot,
      toolchain: loadToolchain(),
      asterisk: { ...control, reloadModule: async () => Promise.reject(new Error("ARI is down")) },
    });
    await expect(down.apply(input({ numbers: ["+15551000", "+15553333"] }))).rejects.toThrow(/ARI is down/);
    const retried = await provisioner.apply(input({ numbers: ["+15551000", "+15553333"] }));
    expect(retried.plan.hasChanges).toBe(false);
    expect(retried.reloaded).toEqual(["pbx_config.so"]);
    expect(await asterisk.cli(`dialplan show dsai_${slug}_inbound`)).toContain("'+15553333'");
    // Back to the numbers the next tests expect.
    expect((await provisioner.apply(input({ numbers: ["+15551000", "+15552222"] }))).reloaded).toEqual(["pbx_config.so"]);
  }, 120_000);

  it("runs one run per tenant at a time, and recovers the lock of a killed run", async () => {
    const workDir = provisioner.workDirOf(slug);
    // Another process holds the lock (this one, alive): a second provisioner is refused at once.
    writeFileSync(
      join(workDir, RUN_LOCK_FILE),
      JSON.stringify({ pid: process.pid, host: (await import("node:os")).hostname(), startedAt: "now", action: "apply" }),
    );
    const other = createProvisioner({ stateRoot, toolchain: loadToolchain() });
    await expect(other.plan(input())).rejects.toBeInstanceOf(TenantBusyError);
    // Its process is gone (killed mid-apply): the next run takes over.
    const dead = spawnSync(process.execPath, ["-e", "process.exit(0)"]).pid;
    writeFileSync(
      join(workDir, RUN_LOCK_FILE),
      JSON.stringify({ pid: dead, host: (await import("node:os")).hostname(), startedAt: "then", action: "apply" }),
    );
    expect((await other.plan(input({ numbers: ["+15551000", "+15552222"] }))).hasChanges).toBe(false);
    expect(existsSync(join(workDir, RUN_LOCK_FILE))).toBe(false);
    // Within one process, runs of one tenant queue instead of failing.
    const [a, b] = await Promise.all([
      provisioner.plan(input({ numbers: ["+15551000", "+15552222"] })),
      provisioner.plan(input({ numbers: ["+15551000", "+15552222"] })),
    ]);
    expect([a.hasChanges, b.hasChanges]).toEqual([false, false]);
  }, 120_000);

  it("sees drift: an object removed outside tofu", async () => {
    execFileSync("docker", ["network", "rm", `dsai-${slug}-net`]);
    const drift = await provisioner.drift(input({ numbers: ["+15551000", "+15552222"] }));
    expect(drift.resources).toEqual([{ address: expect.stringMatching(/^docker_network\./), action: "delete" }]);
    // The next apply converges.
    await provisioner.apply(input({ numbers: ["+15551000", "+15552222"] }));
    expect(execFileSync("docker", ["network", "ls", "--filter", `name=dsai-${slug}-net`, "--quiet"], { encoding: "utf8" }).trim()).not.toBe(
      "",
    );
  }, 120_000);

  it("refuses bad input before anything is written, naming the fields", async () => {
    const bad = { ...input(), desiredState: { ...input().desiredState, slug: "Bad_Slug" } };
    const error = await provisioner.apply(bad).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TenantStackInputError);
    expect((error as TenantStackInputError).issues.map((i) => i.path)).toContain("desiredState.slug");
    expect(readdirSync(stateRoot)).toEqual([slug]);
  });

  it("gives operators a CLI: JSON events and results, exit codes", () => {
    const file = join(scratch, "tenant.json");
    writeFileSync(file, JSON.stringify(input({ numbers: ["+15551000", "+15552222"] })));
    const cli = (args: string[]) =>
      spawnSync(process.execPath, ["--import", "tsx", join(import.meta.dirname, "..", "src", "cli.ts"), ...args], {
        encoding: "utf8",
        env: { ...process.env, DSAI_STATE_DIR: stateRoot },
      });
    const plan = cli(["plan", "--tenant", slug, "--file", file, "--json"]);
    expect(plan.status, plan.stderr).toBe(0);
    const lines = plan.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.at(-1)).toMatchObject({ plan: { hasChanges: false } });
    expect(lines.some((l) => l.type === "phase" && l.phase === "plan")).toBe(true);
    expect(cli(["list", "--json"]).stdout.trim()).toBe(JSON.stringify({ tenants: [slug] }));
    expect(cli(["plan", "--tenant", "other", "--file", file]).status).toBe(2);
    expect(cli(["apply", "--tenant", slug]).status).toBe(2);
    expect(cli(["frobnicate"]).status).toBe(2);
  }, 120_000);

  it("leaves nothing behind after 20 create/destroy cycles", async () => {
    const cycler = createProvisioner({ stateRoot, toolchain: loadToolchain() });
    const other = `${slug}c`;
    const state = () => ({ ...input(), desiredState: { ...input().desiredState, slug: other } });
    for (let cycle = 0; cycle < 20; cycle++) {
      await cycler.apply(state());
      await cycler.destroy(other);
    }
    const left = ["network", "volume"].flatMap((kind) =>
      execFileSync("docker", [kind, "ls", "--filter", `label=dsai.tenant=${other}`, "--quiet"], { encoding: "utf8" })
        .split("\n")
        .filter(Boolean),
    );
    expect(left).toEqual([]);
    expect(existsSync(join(asterisk.confDir, "tenants", other))).toBe(false);
    expect(existsSync(cycler.workDirOf(other))).toBe(false);
  }, 600_000);

  it("destroys a tenant: its Docker objects, its Asterisk folder (reloaded) and its working directory go", async () => {
    const destroyed = await provisioner.destroy(slug);
    expect(destroyed.reloaded).toEqual(["res_pjsip.so", "pbx_config.so"]);
    expect(existsSync(join(asterisk.confDir, "tenants", slug))).toBe(false);
    expect(existsSync(provisioner.workDirOf(slug))).toBe(false);
    expect(await asterisk.cli("dialplan show")).not.toContain(`dsai_${slug}_`);
    const left = ["network", "volume"].flatMap((kind) =>
      execFileSync("docker", [kind, "ls", "--filter", `label=dsai.tenant=${slug}`, "--quiet"], { encoding: "utf8" })
        .split("\n")
        .filter(Boolean),
    );
    expect(left).toEqual([]);
    mkdirSync(stateRoot, { recursive: true });
  }, 120_000);
});
