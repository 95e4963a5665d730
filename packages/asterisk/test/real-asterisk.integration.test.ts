// Against a real Asterisk, when ASTERISK_BIN names one (e.g. a local build of Asterisk 22 LTS):
// the base configuration with two tenants' generated files loads, `pjsip show endpoints` and
// `dialplan show` list exactly the intended objects, and a module reload through the CLI works.
// Without ASTERISK_BIN these tests report themselves skipped (CI has no Asterisk).
import { execFileSync, spawn } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateTenantConfig } from "../src/generate.ts";
import { intendedObjects } from "../src/verify.ts";
import { sampleTenant } from "./samples.ts";

const ASTERISK_BIN = process.env.ASTERISK_BIN;
const tenants = [sampleTenant("acme"), sampleTenant("globex", { status: "suspended" })];

describe.skipIf(!ASTERISK_BIN)("a real Asterisk with generated tenant files", () => {
  const root = mkdtempSync(join(tmpdir(), "dsai-real-asterisk-"));
  const etc = join(root, "etc");
  const cli = (command: string) =>
    execFileSync(ASTERISK_BIN as string, ["-C", join(etc, "asterisk.conf"), "-rx", command], { encoding: "utf8" });

  beforeAll(async () => {
    cpSync(new URL("../../../asterisk/conf/", import.meta.url), etc, { recursive: true });
    // Local directories instead of the image's, and no network-bound HTTP server.
    const dirs = ["lib", "spool", "run", "log"].map((d) => join(root, d));
    for (const d of dirs) mkdirSync(d, { recursive: true });
    writeFileSync(
      join(etc, "asterisk.conf"),
      `[directories]\nastetcdir => ${etc}\nastmoddir => ${process.env.ASTERISK_MODDIR ?? "/usr/lib/asterisk/modules"}\nastvarlibdir => ${dirs[0]}\nastdbdir => ${dirs[0]}\nastkeydir => ${dirs[0]}\nastdatadir => ${dirs[0]}\nastspooldir => ${dirs[1]}\nastrundir => ${dirs[2]}\nastlogdir => ${dirs[3]}\n`,
    );
    writeFileSync(join(etc, "http.conf"), "[general]\nenabled = no\n");
    for (const t of tenants) {
      const { data, files } = generateTenantConfig(t);
      const dir = join(etc, "tenants", data.slug);
      mkdirSync(dir, { recursive: true });
      for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    }
    spawn(ASTERISK_BIN as string, ["-C", join(etc, "asterisk.conf"), "-f"], { stdio: "ignore", detached: true }).unref();
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      try {
        if (cli("core waitfullybooted").includes("fully booted")) return;
      } catch {
        // not up yet
      }
      await new Promise((r) => setTimeout(r, 300));
    }
    throw new Error("Asterisk did not boot");
  }, 30_000);

  afterAll(() => {
    try {
      cli("core stop now");
    } catch {
      // already down
    }
    rmSync(root, { recursive: true, force: true });
  });

  it("loads every tenant's PJSIP endpoints", () => {
    const out = cli("pjsip show endpoints");
    for (const t of tenants) {
      const { data } = generateTenantConfig(t);
      for (const o of intendedObjects(data).pjsip.filter((p) => p.endsWith("/endpoint"))) expect(out).toContain(o.split("/")[0]);
    }
  });

  it("loads exactly the intended dialplan contexts", () => {
    const out = cli("dialplan show");
    for (const t of tenants) {
      const { data } = generateTenantConfig(t);
      for (const context of Object.keys(intendedObjects(data).contexts)) expect(out).toContain(`[ Context '${context}'`);
    }
    expect(readdirSync(join(etc, "tenants")).sort()).toEqual(["acme", "globex"]);
  });

  it("reloads the dialplan module alone", () => {
    expect(cli("module reload pbx_config.so")).toMatch(/reload|Module/i);
  });
});
