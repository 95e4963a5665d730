// The foundation's proof that the chain works for real: cdktf synth -> tofu init from the
// offline mirror -> plan -> apply on the local Docker engine -> HTTP answers from the container
// -> destroy -> nothing of the stack remains.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { baseImageNames } from "../src/images.ts";
import { SmokeStack } from "../src/smoke/smoke-stack.ts";
import { synthStack } from "../src/synth.ts";
import { createTofu, TofuError, type TTofuEvent } from "../src/tofu.ts";
import { loadToolchain } from "../src/toolchain.ts";

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (address && typeof address === "object" ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

/** Docker objects carrying the stack's label: what must be gone after destroy. */
function leftovers(id: string): string[] {
  const filter = `label=dsai.stack=${id}`;
  const list = (args: string[]) =>
    execFileSync("docker", [...args, "--filter", filter, "--quiet"], { encoding: "utf8" })
      .split("\n")
      .filter(Boolean);
  return [...list(["ps", "--all"]), ...list(["network", "ls"]), ...list(["volume", "ls"])];
}

async function getJson(url: string, deadlineMs: number): Promise<unknown> {
  const deadline = Date.now() + deadlineMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (res.ok) return await res.json();
      lastError = new Error(`HTTP ${res.status}`);
    } catch (err) {
      lastError = err; // the server in the container may still be starting
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`no answer from ${url}: ${String(lastError)}`);
}

const toolchain = loadToolchain();
const workDirs: string[] = [];
const stackIds: string[] = [];

function newWorkDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "dsai-stack-"));
  workDirs.push(dir);
  return dir;
}

afterAll(() => {
  // Only a failed test leaves objects behind; remove them so the next run starts clean.
  for (const id of stackIds) {
    for (const [kind, args] of [
      ["container", ["ps", "--all"]],
      ["network", ["network", "ls"]],
      ["volume", ["volume", "ls"]],
    ] as const) {
      const ids = execFileSync("docker", [...args, "--filter", `label=dsai.stack=${id}`, "--quiet"], { encoding: "utf8" })
        .split("\n")
        .filter(Boolean);
      if (ids.length > 0) execFileSync("docker", kind === "container" ? ["rm", "--force", ...ids] : [kind, "rm", ...ids]);
    }
  }
  for (const dir of workDirs) rmSync(dir, { recursive: true, force: true });
});

describe("a stack applied through tofu on the local Docker engine", () => {
  it("answers HTTP on 127.0.0.1 after apply, plans no change when applied, and leaves nothing after destroy", async () => {
    const id = `dsai-smoke-${randomBytes(4).toString("hex")}`;
    stackIds.push(id);
    const hostPort = await freePort();
    const workDir = newWorkDir();
    synthStack(workDir, (app) => new SmokeStack(app, { id, image: baseImageNames().nodeBase, hostPort }));

    const events: TTofuEvent[] = [];
    const tofu = createTofu({ workDir, toolchain, onEvent: (e) => events.push(e) });
    await tofu.init();
    const plan = await tofu.plan();
    expect(plan).toMatchObject({ add: 3, change: 0, remove: 0, hasChanges: true });
    expect(plan.resources.map((r) => `${r.action} ${r.address}`)).toEqual([
      "create docker_container.web",
      "create docker_network.network",
      "create docker_volume.data",
    ]);

    await tofu.apply();
    // apply's -json stream reports each resource as it completes: that is the UI's progress.
    const applied = events.filter((e) => e.type === "apply_complete").map((e) => e["@message"]);
    expect(applied).toHaveLength(3);

    const outputs = await tofu.output();
    expect(outputs.url).toBe(`http://127.0.0.1:${hostPort}/`);
    expect(await getJson(String(outputs.url), 20_000)).toEqual({ ok: true, stack: id });
    expect(leftovers(id)).toHaveLength(3);

    // Applying the same desired state again changes nothing.
    expect((await tofu.plan()).hasChanges).toBe(false);

    await tofu.destroy();
    expect(leftovers(id)).toEqual([]);
    await expect(fetch(String(outputs.url), { signal: AbortSignal.timeout(2_000) })).rejects.toThrow();
  }, 240_000);

  it("reports tofu's own diagnostic when a configuration is invalid", async () => {
    const workDir = newWorkDir();
    writeFileSync(join(workDir, "main.tf.json"), JSON.stringify({ resource: { terraform_data: { broken: { no_such_argument: 1 } } } }));
    const tofu = createTofu({ workDir, toolchain });
    await tofu.init();
    const error = await tofu.plan().catch((err: unknown) => err);
    expect(error).toBeInstanceOf(TofuError);
    expect((error as TofuError).message).toMatch(/no_such_argument/);
  }, 60_000);

  it("rejects stack options that would reach a Terraform string unvalidated", () => {
    const workDir = newWorkDir();
    expect(() =>
      synthStack(workDir, (app) => new SmokeStack(app, { id: 'x"; rm -rf /', image: "dsai/node-base:1", hostPort: 8080 })),
    ).toThrow(/id/);
  });
});
