// The container images, for real: `npm run images` builds them (bundled apps, no sources), and
// they serve from the Docker engine. Containers use the host's network namespace so that they
// reach this test's Postgres, License Service and providers on 127.0.0.1 — and nothing else.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildAppImages, type TAppImages } from "../../../scripts/images.ts";
import { simulateCall } from "../src/simulator/simulate.ts";
import { freePort, startTenant, TOKEN, type TTenantHarness } from "./harness.ts";

const exec = promisify(execFile);
const containers: string[] = [];
let images: TAppImages;
let h: TTenantHarness;

async function runContainer(image: string, env: Record<string, string>, args: string[] = []): Promise<void> {
  const envArgs = Object.entries(env).flatMap(([k, v]) => ["-e", `${k}=${v}`]);
  const { stdout } = await exec("docker", ["run", "-d", "--network", "host", ...envArgs, image, ...args]);
  containers.push(stdout.trim());
}

async function healthy(url: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(`${url}/healthz`)).ok) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not become healthy`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  images = await buildAppImages();
  h = await startTenant({ core: "none" });
}, 600_000);
afterAll(async () => {
  if (containers.length) await exec("docker", ["rm", "-f", ...containers]).catch(() => {});
  await h?.close();
});

describe("container images", () => {
  it("the providers image speaks (espeak-ng inside) and listens (PocketSphinx inside)", async () => {
    const [tts, asr] = [await freePort(), await freePort()];
    await runContainer(images.providers, { PROVIDER_HOST: "127.0.0.1", PROVIDER_PORT: String(tts) }, ["tts"]);
    await runContainer(images.providers, { PROVIDER_HOST: "127.0.0.1", PROVIDER_PORT: String(asr), ASR_PHRASES: "goodbye" }, ["asr"]);
    await healthy(`http://127.0.0.1:${tts}`);
    await healthy(`http://127.0.0.1:${asr}`);
    const res = await fetch(`http://127.0.0.1:${tts}/text-to-speech-stream`, {
      method: "POST",
      body: JSON.stringify({ text: "Hello from the image." }),
    });
    expect(res.status).toBe(200);
    expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(16_000); // over a second of 8 kHz audio
  });

  it("the core image takes a call end to end (database, License Service and providers on loopback)", async () => {
    const [http, audio] = [await freePort(), await freePort()];
    await runContainer(images.core, {
      ...h.coreEnv,
      CORE_HOST: "127.0.0.1",
      CORE_HTTP_PORT: String(http),
      CORE_AUDIOSOCKET_PORT: String(audio),
    });
    await healthy(`http://127.0.0.1:${http}`);
    // The frame sender's thread has its slice in the image too: the image holds no python3, so
    // sched-slice beside the bundle makes the system call (a missing or failing one reports 0).
    const metrics = await (await fetch(`http://127.0.0.1:${http}/metrics`)).text();
    expect(metrics).toMatch(/^dsai_sender_slice_us 100$/m);
    const summary = await simulateCall({
      coreHttpUrl: `http://127.0.0.1:${http}`,
      audioSocket: { host: "127.0.0.1", port: audio },
      token: TOKEN,
      agent: "support",
      number: "1000",
      caller: "15550100",
      steps: [{ dtmf: "0" }],
    });
    expect(summary.greetingHeard).toBe(true);
    expect(summary.hangupCause).toBe("agent_hangup");
    const deadline = Date.now() + 10_000;
    let row: { hangup_cause: string } | undefined;
    while (!row && Date.now() < deadline) {
      row = (await h.tenantDb.query("SELECT hangup_cause FROM call WHERE id = $1 AND ended_at IS NOT NULL", [summary.uuid])).rows[0];
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(row?.hangup_cause).toBe("transfer");
  });
});
