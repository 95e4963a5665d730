// The platform's tRPC admin router and the ops CLI, against real servers and a real database.
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { promisify } from "node:util";
import { createTRPCClient, httpLink } from "@trpc/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TLicenseAdminRouter } from "../src/trpc.ts";
import { ADMIN_TOKEN, call, startHarness, type THarness, usage } from "./helpers.ts";

let h: THarness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

const client = (token: string) =>
  createTRPCClient<TLicenseAdminRouter>({ links: [httpLink({ url: `${h.url}/trpc`, headers: { authorization: `Bearer ${token}` } })] });

describe("tRPC admin router", () => {
  it("refuses calls without the admin token, with no stack trace or server path in the answer", async () => {
    await expect(client("wrong-token").verify.query()).rejects.toThrow(/admin token required/);
    const res = await fetch(`${h.url}/trpc/verify`, { headers: { authorization: "Bearer wrong" } });
    const body = await res.text();
    expect(res.status).toBe(401);
    expect(body).toContain("admin token required");
    expect(body).not.toMatch(/stack|\/work\/|node_modules|\.ts:\d+/);
  });

  it("creates a license idempotently when the caller names its id (a retried create finds the same license)", async () => {
    const admin = client(ADMIN_TOKEN);
    const id = randomUUID();
    const first = await admin.createLicense.mutate({ id, name: "Tenant acme", seconds: 600 });
    const again = await admin.createLicense.mutate({ id, name: "Tenant acme", seconds: 600 });
    expect(again).toEqual(first);
    expect((await admin.listLicenses.query()).filter((l) => l.id === id)).toEqual([first]);
    expect((await admin.ledger.query({ licenseId: id })).map((e) => e.deltaSeconds)).toEqual([600]);
    await expect(admin.createLicense.mutate({ id, name: "Someone else", seconds: 1 })).rejects.toThrow(/exists with another name/);
  });

  it("creates, grants, issues and revokes keys, suspends and reactivates, and pages usage and ledger", async () => {
    const admin = client(ADMIN_TOKEN);
    const license = await admin.createLicense.mutate({ name: "Acme", seconds: 120 });
    expect(license.status).toBe("active");
    expect(await admin.grantCredits.mutate({ licenseId: license.id, seconds: 60, note: "top-up" })).toEqual({
      licenseId: license.id,
      remainingSeconds: 180,
    });
    const key = await admin.issueKey.mutate({ licenseId: license.id, label: "agent support", agentId: "support" });
    expect(key.token).toMatch(/^dsai_lk_/);
    for (let i = 0; i < 3; i++) {
      const reported = await call(h, "POST", `/license/${license.id}/update`, key.token, usage(randomUUID(), 10, { agentId: "support" }));
      expect(reported.status).toBe(200);
    }
    const page1 = await admin.usageHistory.query({ licenseId: license.id, limit: 2 });
    const page2 = await admin.usageHistory.query({ licenseId: license.id, limit: 2, after: page1.at(-1)?.callId });
    expect(page1).toHaveLength(2);
    expect(page2).toHaveLength(1);
    expect(new Set([...page1, ...page2].map((u) => u.callId)).size).toBe(3);
    const ledger = await admin.ledger.query({ licenseId: license.id });
    expect(ledger.map((e) => [e.kind, e.deltaSeconds])).toEqual([
      ["grant", 120],
      ["grant", 60],
      ["usage", -10],
      ["usage", -10],
      ["usage", -10],
    ]);
    expect((await admin.listKeys.query({ licenseId: license.id })).map((k) => k.label)).toEqual(["agent support"]);
    await admin.revokeKey.mutate({ keyId: key.keyId });
    expect((await call(h, "GET", `/license/${license.id}/credits`, key.token)).status).toBe(401);
    await admin.suspendLicense.mutate({ licenseId: license.id });
    await expect(admin.suspendLicense.mutate({ licenseId: license.id })).rejects.toThrow(/cannot become suspended/);
    expect((await admin.reactivateLicense.mutate({ licenseId: license.id })).status).toBe("active");
    expect((await admin.verify.query()).mismatches).toEqual([]);
  });

  it("answers bad input and unknown licenses with tRPC errors, not 500s", async () => {
    const admin = client(ADMIN_TOKEN);
    await expect(admin.createLicense.mutate({ name: "", seconds: -1 })).rejects.toThrow();
    await expect(admin.showLicense.query({ licenseId: randomUUID() })).rejects.toThrow(/not found/);
    await expect(admin.grantCredits.mutate({ licenseId: randomUUID(), seconds: 5 })).rejects.toThrow(/not found/);
  });
});

const run = promisify(execFile);
const cliPath = new URL("../src/cli.ts", import.meta.url).pathname;
async function cli(args: string[]): Promise<{ code: number; json: Record<string, unknown>; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ["--import", "tsx", cliPath, ...args], {
      env: { ...process.env, LICENSE_DATABASE_URL: h.databaseUrl },
    });
    return { code: 0, json: JSON.parse(stdout), stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, json: e.stdout ? JSON.parse(e.stdout) : {}, stderr: e.stderr };
  }
}

describe("admin CLI", () => {
  it("creates a license, issues a key, grants, shows and verifies, printing JSON", async () => {
    const created = await cli(["create-license", "--name", "Globex", "--seconds", "300"]);
    expect(created.code).toBe(0);
    const id = created.json.id as string;
    const key = await cli(["issue-key", "--license", id, "--scopes", "credits:read"]);
    expect(key.json.token).toMatch(/^dsai_lk_/);
    expect(key.json.scopes).toEqual(["credits:read"]);
    expect((await cli(["grant", "--license", id, "--seconds", "60"])).json).toEqual({ licenseId: id, remainingSeconds: 360 });
    const shown = await cli(["show", "--license", id]);
    expect(shown.json).toMatchObject({ id, balanceSeconds: 360, status: "active" });
    expect(JSON.stringify(shown.json)).not.toContain(String(key.json.token).slice(21));
    expect((await cli(["revoke-key", "--key", String(key.json.keyId)])).json.revokedAt).toBeTruthy();
    expect((await cli(["verify"])).json).toMatchObject({ ok: true, mismatches: [] });
  }, 60_000);

  it("exits 2 with usage for bad arguments, and 1 with a JSON error for bad values", async () => {
    expect((await cli(["grant", "--license", randomUUID()])).code).toBe(2);
    expect((await cli(["frobnicate"])).code).toBe(2);
    const bad = await cli(["grant", "--license", "nope", "--seconds", "5"]);
    expect(bad.code).toBe(1);
    expect(bad.json.error).toMatch(/licenseId/);
  }, 60_000);
});
