// The shared instance's base configuration (asterisk/conf) parses, includes every tenant's
// folder, defines the transports tenants name, and loads every module the tenant files use.
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { generateTenantConfig } from "../src/generate.ts";
import { TRANSPORTS } from "../src/names.ts";
import { parseAsteriskConfig, parseDialplan } from "../src/parse.ts";
import { ALLOWED_APPS } from "../src/verify.ts";
import { sampleTenant } from "./samples.ts";

const CONF = new URL("../../../asterisk/conf/", import.meta.url);
const read = (name: string) => readFileSync(new URL(name, CONF), "utf8");

/** Module providing each dialplan application and function the generator may emit. */
const PROVIDERS: Record<string, string> = {
  Answer: "pbx_config.so", // built into the PBX core; pbx_config loads the dialplan itself
  Set: "pbx_config.so",
  GotoIf: "pbx_config.so",
  Goto: "pbx_config.so",
  Hangup: "pbx_config.so",
  Gosub: "app_stack.so",
  ExecIf: "app_exec.so",
  Dial: "app_dial.so",
  Playback: "app_playback.so",
  MixMonitor: "app_mixmonitor.so",
  CURL: "func_curl.so",
  CURLOPT: "func_curl.so",
  REGEX: "func_strings.so",
  URIENCODE: "func_uri.so",
  CALLERID: "func_callerid.so",
  AudioSocket: "chan_audiosocket.so",
  PJSIP: "chan_pjsip.so",
};

describe("base configuration of the shared Asterisk", () => {
  it("parses every file", () => {
    for (const file of readdirSync(CONF)) expect(() => parseAsteriskConfig(read(file)), file).not.toThrow();
  });

  it("includes each tenant's folder from pjsip.conf and extensions.conf, and nothing else", () => {
    for (const file of ["pjsip.conf", "extensions.conf"]) {
      const { directives } = parseAsteriskConfig(read(file));
      expect(directives.map((d) => `${d.directive} ${d.argument}`)).toEqual([`tryinclude tenants/*/${file}`]);
    }
  });

  it("defines exactly the shared transports that tenant endpoints name", () => {
    const transports = parseAsteriskConfig(read("pjsip.conf"))
      .sections.filter((s) => s.entries.some((e) => e.key === "type" && e.value === "transport"))
      .map((s) => s.name);
    expect(transports.sort()).toEqual(Object.values(TRANSPORTS).sort());
  });

  it("loads every module that the generated tenant files need", () => {
    const loaded = new Set(
      parseAsteriskConfig(read("modules.conf"))
        .sections.flatMap((s) => s.entries)
        .filter((e) => e.key === "load")
        .map((e) => e.value),
    );
    const { files } = generateTenantConfig(sampleTenant("acme"));
    const steps = parseDialplan(parseAsteriskConfig(files["extensions.conf"])).flatMap((c) => c.steps);
    const used = new Set(steps.map((s) => s.app));
    for (const s of steps) for (const m of s.args.matchAll(/([A-Za-z]+)[(/]/g)) if (m[1] && PROVIDERS[m[1]]) used.add(m[1]);
    for (const app of ALLOWED_APPS) used.add(app);
    const missing = [...used].filter((name) => !loaded.has(PROVIDERS[name] ?? `<no module known for ${name}>`));
    expect(missing).toEqual([]);
  });

  it("binds ARI's HTTP server and AMI to the platform network address only", () => {
    const http = parseAsteriskConfig(read("http.conf")).sections[0]?.entries ?? [];
    const ami = parseAsteriskConfig(read("manager.conf")).sections[0]?.entries ?? [];
    for (const entries of [http, ami]) {
      const bind = entries.find((e) => e.key === "bindaddr")?.value;
      expect(bind).toMatch(/^172\.30\.254\.\d+$/);
    }
  });
});
