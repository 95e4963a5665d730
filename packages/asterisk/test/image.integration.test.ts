// The shared Asterisk's image (dsai/asterisk:<tag>, built by set-up from the prebuilt Asterisk 22
// build), for real: the shipped base configuration mounted at /etc/asterisk with a suspended
// tenant boots with no ERROR line, the call-path modules run, and a SIP call to the tenant's
// number hears the refusal message from Debian's core sounds inside the image. The container
// uses the host's network namespace with every listener moved to 127.0.0.1 (writeTestConfig).
import { execFile } from "node:child_process";
import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildAsteriskImage } from "../../../scripts/images.ts";
import { generateTenantConfig } from "../src/generate.ts";
import { readAsteriskRecord } from "../testing/asterisk-install.ts";
import { freeSipPort, writeTestConfig } from "../testing/real-asterisk.ts";
import { sipCall } from "../testing/sip-caller.ts";

const exec = promisify(execFile);
const record = readAsteriskRecord();
const prebuilt = record.found && record.install.source === "prebuilt" ? record.install : undefined;
if (!prebuilt) process.stderr.write("Asterisk image test skipped: set-up found no prebuilt Asterisk to build dsai/asterisk from\n");

/** The container's asterisk user must read the mounted configuration. */
function readableByAll(path: string): void {
  chmodSync(path, statSync(path).isDirectory() ? 0o755 : 0o644);
  if (statSync(path).isDirectory()) for (const entry of readdirSync(path)) readableByAll(join(path, entry));
}

describe.skipIf(!prebuilt)("the shared Asterisk image", () => {
  const etc = mkdtempSync(join(tmpdir(), "dsai-asterisk-image-"));
  let container = "";
  let sipPort = 0;
  let callerPort = 0;
  const cli = async (command: string) =>
    (await exec("docker", ["exec", container, "asterisk", "-C", "/etc/asterisk/asterisk.conf", "-rx", command])).stdout;
  const log = async () => (await exec("docker", ["exec", container, "cat", "/var/log/asterisk/messages.log"])).stdout;

  beforeAll(async () => {
    const image = await buildAsteriskImage(join(prebuilt?.bin ?? "", "..", ".."));
    callerPort = await freeSipPort();
    const tenant = generateTenantConfig({
      slug: "globex",
      status: "suspended",
      core: { host: "127.0.0.1", httpPort: 8080, audioSocketPort: 9092 },
      token: "t".repeat(40),
      numbers: [{ number: "+15552000", agentId: "support" }],
      trunks: [{ id: "edge", mode: "ip", host: "127.0.0.1", port: 9, match: [`127.0.0.1:${callerPort}/32`] }],
    });
    ({ sipPort } = await writeTestConfig(etc, [{ slug: "globex", files: tenant.files }]));
    readableByAll(etc);
    container = (await exec("docker", ["run", "-d", "--network", "host", "-v", `${etc}:/etc/asterisk:ro`, image])).stdout.trim();
    const deadline = Date.now() + 30_000;
    while (!(await cli("core waitfullybooted").catch(() => "")).includes("fully booted")) {
      if (Date.now() > deadline)
        throw new Error(`Asterisk in ${image} did not boot:\n${(await exec("docker", ["logs", container])).stderr}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }, 300_000);

  afterAll(async () => {
    if (container) await exec("docker", ["rm", "-f", container]).catch(() => {});
    rmSync(etc, { recursive: true, force: true });
  });

  it("boots the base configuration with no ERROR line and runs the call-path modules", async () => {
    expect((await log()).split("\n").filter((line) => /\] ERROR\[/.test(line))).toEqual([]);
    for (const module of ["chan_pjsip", "res_ari", "chan_audiosocket", "func_curl", "pbx_config", "codec_gsm"]) {
      expect(await cli(`module show like ${module}.so`), module).toMatch(new RegExp(`^${module}\\.so .* Running`, "m"));
    }
  });

  it("plays the refusal message of a suspended tenant's number from the image's core sounds", async () => {
    const result = await sipCall({
      asteriskPort: sipPort,
      sourcePort: callerPort,
      number: "+15552000",
      caller: "15550199",
      lines: [],
      timeoutMs: 20_000,
    });
    expect(result.sippExit, result.sippOutput).toBe(0);
    // The caller sent its media where the answer's SDP said: Asterisk's address on this machine.
    expect(result.farMedia, result.sippOutput).toMatchObject({ address: "127.0.0.1" });
    const voiced = result.heard.reduce((sum, s) => sum + s.endMs - s.startMs, 0);
    expect(voiced).toBeGreaterThan(1_500);
  }, 40_000);
});
