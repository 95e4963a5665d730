// ARI control and safe file application, against the faithful ARI protocol peer (testing/).
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { AriError, createAsteriskControl, type TAsteriskControl } from "../src/control.ts";
import { TenantDataError } from "../src/tenant-data.ts";
import { applyTenantFiles, ReloadError, removeTenantFiles, tenantDir } from "../src/tenant-files.ts";
import { startAriPeer, type TAriPeer } from "../testing/ari-peer.ts";
import { sampleTenant } from "./samples.ts";

let peer: TAriPeer;
let control: TAsteriskControl;
let confDir: string;
const dirs: string[] = [];

beforeEach(async () => {
  peer = await startAriPeer();
  control = await createAsteriskControl({ url: peer.url, user: peer.user, password: peer.password });
  confDir = mkdtempSync(join(tmpdir(), "dsai-asterisk-conf-"));
  dirs.push(confDir);
});

afterEach(async () => {
  await control?.close();
  await peer?.close();
});

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const reloads = () =>
  peer.requests.filter((r) => r.method === "PUT" && r.path.startsWith("/ari/asterisk/modules/")).map((r) => r.path.split("/").pop());

describe("applying a tenant's files", () => {
  it("writes both files and reloads only res_pjsip and pbx_config (never a full reload)", async () => {
    const result = await applyTenantFiles({ confDir, tenant: sampleTenant("acme"), control });
    expect(result).toEqual({ changed: ["pjsip.conf", "extensions.conf"], reloaded: ["res_pjsip.so", "pbx_config.so"] });
    expect(reloads()).toEqual(["res_pjsip.so", "pbx_config.so"]);
    expect(readFileSync(join(tenantDir(confDir, "acme"), "pjsip.conf"), "utf8")).toContain("[dsai_acme_trunk_carrier-0]");
  });

  it("reloads nothing when nothing changed, and only the dialplan when only numbers changed", async () => {
    await applyTenantFiles({ confDir, tenant: sampleTenant("acme"), control });
    peer.requests.length = 0;
    expect(await applyTenantFiles({ confDir, tenant: sampleTenant("acme"), control })).toEqual({ changed: [], reloaded: [] });
    expect(reloads()).toEqual([]);
    const more = await applyTenantFiles({ confDir, tenant: sampleTenant("acme", { numbers: 11 }), control });
    expect(more.reloaded).toEqual(["pbx_config.so"]);
  });

  it("restores the previous files when Asterisk refuses a reload, and reports Asterisk's message", async () => {
    await applyTenantFiles({ confDir, tenant: sampleTenant("acme"), control });
    const dir = tenantDir(confDir, "acme");
    const before = { pjsip: readFileSync(join(dir, "pjsip.conf"), "utf8"), ext: readFileSync(join(dir, "extensions.conf"), "utf8") };
    peer.failingModules.add("pbx_config.so");
    const error = await applyTenantFiles({ confDir, tenant: sampleTenant("acme", { trunks: 1, numbers: 4 }), control }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ReloadError);
    expect((error as ReloadError).message).toMatch(/pbx_config.so: Module could not be reloaded\./);
    expect(readFileSync(join(dir, "pjsip.conf"), "utf8")).toBe(before.pjsip);
    expect(readFileSync(join(dir, "extensions.conf"), "utf8")).toBe(before.ext);
  });

  it("never writes a file for invalid data", async () => {
    const error = await applyTenantFiles({ confDir, tenant: { ...sampleTenant("evil"), token: "x;y" }, control }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TenantDataError);
    expect(existsSync(join(confDir, "tenants", "evil"))).toBe(false);
    expect(reloads()).toEqual([]);
  });

  it("on delete hangs up the tenant's channels only, removes its folder and reloads", async () => {
    await applyTenantFiles({ confDir, tenant: sampleTenant("acme"), control });
    await applyTenantFiles({ confDir, tenant: sampleTenant("other"), control });
    peer.channels.push(
      peer.channel("c1", "PJSIP/dsai_acme_trunk_carrier-0-00000001", "dsai_acme_call"),
      peer.channel("c2", "AudioSocket/core-acme:9092-f1ed30b8-d1b3-44c6-90ac-e6a9a56731d5", "default"),
      peer.channel("c3", "PJSIP/dsai_other_trunk_carrier-0-00000002", "dsai_other_call"),
    );
    const { hungUp } = await removeTenantFiles({ confDir, slug: "acme", control, coreAudioSocket: "core-acme:9092" });
    expect(hungUp).toBe(2);
    expect(peer.channels.map((c) => c.id)).toEqual(["c3"]);
    expect(existsSync(tenantDir(confDir, "acme"))).toBe(false);
    expect(existsSync(tenantDir(confDir, "other"))).toBe(true);
  });
});

describe("ARI control", () => {
  it("lists only the tenant's endpoints and channels", async () => {
    peer.endpoints.push(
      { technology: "PJSIP", resource: "dsai_acme_phone_alice", state: "online", channel_ids: ["c1"] },
      { technology: "PJSIP", resource: "dsai_acme-two_phone_bob", state: "offline", channel_ids: [] },
    );
    peer.channels.push(peer.channel("c1", "PJSIP/dsai_acme_phone_alice-00000001", "dsai_acme_phones"));
    expect((await control.listTenantEndpoints("acme")).map((e) => e.resource)).toEqual(["dsai_acme_phone_alice"]);
    expect((await control.listTenantEndpoints("acme-two")).map((e) => e.resource)).toEqual(["dsai_acme-two_phone_bob"]);
    expect(await control.listTenantChannels("acme")).toEqual([
      expect.objectContaining({ id: "c1", context: "dsai_acme_phones", state: "Up" }),
    ]);
    expect(await control.listTenantChannels("acme-two")).toEqual([]);
  });

  it("reports Asterisk's message for an unknown module", async () => {
    peer.modules.delete("res_pjsip.so");
    await expect(control.reloadModule("res_pjsip.so")).rejects.toThrow(/Module not found in running modules/);
  });

  it("retries an unreachable ARI with backoff, then reports it", async () => {
    const retries: number[] = [];
    const error = await createAsteriskControl({
      url: "http://127.0.0.1:1",
      user: "u",
      password: "p",
      attempts: 3,
      initialDelayMs: 20,
      onRetry: (n) => retries.push(n),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AriError);
    expect((error as Error).message).toMatch(/unreachable after 3 attempts/);
    expect(retries).toEqual([1, 2]);
  });

  it("is refused with wrong credentials", async () => {
    const error = await createAsteriskControl({ url: peer.url, user: peer.user, password: "wrong", attempts: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AriError);
  });
});
