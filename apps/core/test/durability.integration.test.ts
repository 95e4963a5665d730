// Usage is never lost or counted twice: not when the License Service is down during a call, and
// not when the core itself is killed (SIGKILL) in the middle of one and started again.
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { callerSpeech } from "../src/simulator/caller-voice.ts";
import { simulateCall } from "../src/simulator/simulate.ts";
import { callTarget, freePort, startTenant, TOKEN, type TTenantHarness } from "./harness.ts";

const harnesses: TTenantHarness[] = [];
afterAll(async () => {
  for (const h of harnesses) await h.close();
});

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function usageOf(h: TTenantHarness, callId: string) {
  return (await h.license.admin.usageHistory({ licenseId: h.licenseId })).filter((u) => u.callId === callId);
}

describe("usage delivery", () => {
  it("survives a License Service outage during a call: delivered once when it is back", async () => {
    const h = await startTenant();
    harnesses.push(h);
    const hours = await callerSpeech("what are your opening hours");
    const call = simulateCall({
      ...callTarget(h),
      steps: [{ label: "hours", say: hours }],
    });
    await new Promise((r) => setTimeout(r, 1_000));
    await h.license.stop(); // outage, mid-call
    const summary = await call;
    expect(summary.replyLatencyMs[0]).not.toBeNull(); // the call itself never noticed
    await h.core.calls.settled();
    await h.core.outbox.flush();
    const pending = (await h.tenantDb.query("SELECT attempts, last_error FROM outbox WHERE dedupe_key = $1", [`usage:${summary.uuid}`]))
      .rows[0];
    expect(pending.attempts).toBeGreaterThanOrEqual(1);
    expect(pending.last_error).toMatch(/unreachable/);

    await h.restartLicense();
    // Back-off is 1 s after the first failure; the sweep runs every 0.5 s.
    const delivered = await until("delivery", async () => {
      const rows = await usageOf(h, summary.uuid);
      return rows.length > 0 ? rows : undefined;
    });
    await h.core.outbox.flush();
    expect(await usageOf(h, summary.uuid)).toHaveLength(1);
    const billed = (await h.tenantDb.query("SELECT billed_seconds FROM call WHERE id = $1", [summary.uuid])).rows[0].billed_seconds;
    expect(delivered[0]?.seconds).toBe(billed);
  });

  it("survives the core being killed mid-call: the restarted core bills the call once", async () => {
    const h = await startTenant({ core: "none" });
    harnesses.push(h);
    const env = {
      ...h.coreEnv,
      CORE_HTTP_PORT: String(await freePort()),
      CORE_AUDIOSOCKET_PORT: String(await freePort()),
      CORE_HEARTBEAT_MS: "200",
    };
    const main = fileURLToPath(new URL("../src/main.ts", import.meta.url));
    const startCore = async (): Promise<ChildProcess> => {
      const child = spawn(process.execPath, ["--import", "tsx", main], {
        env: { ...process.env, ...env },
        stdio: ["ignore", "pipe", "inherit"],
      });
      await new Promise<void>((resolve, reject) => {
        child.stdout?.on("data", (d: Buffer) => d.toString().includes("core: HTTP on") && resolve());
        child.once("exit", (code) => reject(new Error(`core exited with ${code}`)));
      });
      return child;
    };
    let core = await startCore();
    const call = simulateCall({
      coreHttpUrl: `http://127.0.0.1:${env.CORE_HTTP_PORT}`,
      audioSocket: { host: "127.0.0.1", port: Number(env.CORE_AUDIOSOCKET_PORT) },
      token: TOKEN,
      agent: "support",
      number: "1000",
      caller: "15550100",
      steps: [{ label: "hours", say: await callerSpeech("what are your opening hours") }],
    });
    await new Promise((r) => setTimeout(r, 3_000)); // greeting under way, heartbeats written
    const exited = new Promise((r) => core.once("exit", r));
    core.kill("SIGKILL");
    await exited;
    const summary = await call;
    const orphan = (await h.tenantDb.query("SELECT ended_at, answered_at, last_seen_at FROM call WHERE id = $1", [summary.uuid])).rows[0];
    expect(orphan.ended_at).toBeNull(); // the dead process recorded nothing
    expect(orphan.last_seen_at).not.toBeNull();

    core = await startCore();
    try {
      const delivered = await until("delivery after restart", async () => {
        const rows = await usageOf(h, summary.uuid);
        return rows.length > 0 ? rows : undefined;
      });
      const ended = (await h.tenantDb.query("SELECT hangup_cause, billed_seconds FROM call WHERE id = $1", [summary.uuid])).rows[0];
      expect(ended.hangup_cause).toBe("core_restart");
      expect(ended.billed_seconds).toBeGreaterThanOrEqual(2); // up to the last heartbeat
      expect(delivered[0]?.seconds).toBe(ended.billed_seconds);
    } finally {
      const stopped = new Promise((r) => core.once("exit", r));
      core.kill("SIGTERM");
      await stopped;
    }
    // A third start neither ends the call again nor reports it twice.
    core = await startCore();
    const again = new Promise((r) => core.once("exit", r));
    core.kill("SIGTERM");
    await again;
    expect(await usageOf(h, summary.uuid)).toHaveLength(1);
    expect(
      (await h.tenantDb.query("SELECT count(*)::int AS n FROM outbox WHERE dedupe_key = $1", [`usage:${summary.uuid}`])).rows[0].n,
    ).toBe(1);
  });
});
