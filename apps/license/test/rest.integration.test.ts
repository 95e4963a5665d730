// The REST contract for real: credits, idempotent usage, reservations, keys and their rules.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createStore } from "../src/store.ts";
import { call, json, newLicense, startHarness, type THarness, usage } from "./helpers.ts";

let h: THarness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

describe("License Service REST API", () => {
  it("answers /healthz", async () => {
    const res = await fetch(`${h.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({ ok: true });
  });

  it("reports credits in seconds and minutes, and whether a call may start", async () => {
    const { license, token } = await newLicense(h, 600);
    const res = await call(h, "GET", `/license/${license.id}/credits`, token);
    expect(await json(res)).toEqual({
      licenseId: license.id,
      status: "active",
      remainingSeconds: 600,
      remainingMinutes: 10,
      reservedSeconds: 0,
      allowed: true,
    });
  });

  it("counts a call once: a retry is a duplicate, a different body for the same call is 409", async () => {
    const { license, token } = await newLicense(h, 600);
    const callId = randomUUID();
    const first = await call(h, "POST", `/license/${license.id}/update`, token, usage(callId, 90, { agentId: "support" }));
    expect(await json(first)).toEqual({ applied: true, duplicate: false, remainingSeconds: 510 });
    // Same body, keys in another order: still the same call.
    const { agentId: _a, ...rest } = usage(callId, 90, { agentId: "support" });
    const retry = await call(h, "POST", `/license/${license.id}/update`, token, { agentId: "support", ...rest });
    expect(retry.status).toBe(200);
    expect(await json(retry)).toEqual({ applied: false, duplicate: true, remainingSeconds: 510 });
    const changed = await call(h, "POST", `/license/${license.id}/update`, token, usage(callId, 91, { agentId: "support" }));
    expect(changed.status).toBe(409);
    expect((await json(changed)).error).toMatchObject({ code: "call_conflict", field: "callId" });
    expect(await h.server.store.verify()).toMatchObject({ mismatches: [] });
  });

  it("holds credit for starting calls, settles it with the call's usage, and refuses when unreserved credit is short", async () => {
    const { license, token } = await newLicense(h, 100);
    const a = randomUUID();
    const r1 = await call(h, "POST", `/license/${license.id}/reserve`, token, { callId: a, seconds: 60 });
    expect(await json(r1)).toMatchObject({ reserved: true, duplicate: false, remainingSeconds: 100, reservedSeconds: 60 });
    const again = await call(h, "POST", `/license/${license.id}/reserve`, token, { callId: a, seconds: 60 });
    expect(await json(again)).toMatchObject({ reserved: true, duplicate: true, reservedSeconds: 60 });
    const short = await call(h, "POST", `/license/${license.id}/reserve`, token, { callId: randomUUID(), seconds: 41 });
    expect(short.status).toBe(402);
    expect((await json(short)).error.code).toBe("no_credit");
    await call(h, "POST", `/license/${license.id}/update`, token, usage(a, 30));
    const credits = await (await call(h, "GET", `/license/${license.id}/credits`, token)).json();
    expect(credits).toMatchObject({ remainingSeconds: 70, reservedSeconds: 0, allowed: true });
    const settled = await call(h, "POST", `/license/${license.id}/reserve`, token, { callId: a, seconds: 60 });
    expect(settled.status).toBe(409);
  });

  it("releases an unsettled reservation after its TTL, with a ledger row", async () => {
    const short = await startHarness({ reservationTtlSeconds: 1 });
    try {
      const { license, token } = await newLicense(short, 100);
      await call(short, "POST", `/license/${license.id}/reserve`, token, { callId: randomUUID(), seconds: 100 });
      expect((await json(await call(short, "GET", `/license/${license.id}/credits`, token))).allowed).toBe(false);
      await new Promise((r) => setTimeout(r, 1_100));
      expect(await short.server.store.expireReservations()).toBe(1);
      const credits = await (await call(short, "GET", `/license/${license.id}/credits`, token)).json();
      expect(credits).toMatchObject({ remainingSeconds: 100, reservedSeconds: 0, allowed: true });
      const ledger = await short.server.admin.ledger({ licenseId: license.id });
      expect(ledger.map((e) => e.kind)).toEqual(["grant", "reservation_expiry"]);
      expect(await short.server.store.verify()).toMatchObject({ mismatches: [] });
    } finally {
      await short.close();
    }
  });

  it("refuses new calls of a suspended license but still records calls that happened", async () => {
    const { license, token } = await newLicense(h, 100);
    await h.server.admin.suspendLicense(license.id);
    const res = await call(h, "POST", `/license/${license.id}/reserve`, token, { callId: randomUUID(), seconds: 10 });
    expect(res.status).toBe(403);
    expect((await json(await call(h, "GET", `/license/${license.id}/credits`, token))).allowed).toBe(false);
    expect((await call(h, "POST", `/license/${license.id}/update`, token, usage(randomUUID(), 5))).status).toBe(200);
  });
});

describe("API keys", () => {
  it("are random, prefixed, and shown only once", async () => {
    const { license, token } = await newLicense(h, 10);
    expect(token).toMatch(/^dsai_lk_[0-9A-Za-z]{12}_[A-Za-z0-9_-]{43}$/);
    const listed = await h.server.admin.listKeys(license.id);
    expect(JSON.stringify(listed)).not.toContain(token.slice(21));
    const { rows } = await h.server.store.pool.query("SELECT secret_hash FROM api_key WHERE license_id = $1", [license.id]);
    expect(rows[0].secret_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(rows[0].secret_hash).not.toContain(token.slice(21));
  });

  it("reject missing, malformed and wrong keys with 401, a key of another license with 403", async () => {
    const a = await newLicense(h, 10);
    const b = await newLicense(h, 10);
    expect((await call(h, "GET", `/license/${a.license.id}/credits`, undefined)).status).toBe(401);
    expect((await call(h, "GET", `/license/${a.license.id}/credits`, "dsai_lk_nope")).status).toBe(401);
    const forged = `${a.token.slice(0, 21)}${"A".repeat(43)}`;
    expect((await call(h, "GET", `/license/${a.license.id}/credits`, forged)).status).toBe(401);
    const cross = await call(h, "GET", `/license/${b.license.id}/credits`, a.token);
    expect(cross.status).toBe(403);
    expect((await call(h, "GET", `/license/${randomUUID()}/credits`, a.token)).status).toBe(404);
  });

  it("enforce scopes, expiry, and revocation at once", async () => {
    const reader = await newLicense(h, 10, ["credits:read"]);
    expect((await call(h, "GET", `/license/${reader.license.id}/credits`, reader.token)).status).toBe(200);
    expect((await call(h, "POST", `/license/${reader.license.id}/update`, reader.token, usage(randomUUID(), 1))).status).toBe(403);
    const expiring = await h.server.admin.issueKey({ licenseId: reader.license.id, expiresAt: new Date(Date.now() + 500).toISOString() });
    expect((await call(h, "GET", `/license/${reader.license.id}/credits`, expiring.token)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 600));
    expect((await call(h, "GET", `/license/${reader.license.id}/credits`, expiring.token)).status).toBe(401);
    await h.server.admin.revokeKey(reader.keyId);
    const revoked = await call(h, "GET", `/license/${reader.license.id}/credits`, reader.token);
    expect(revoked.status).toBe(401);
    expect((await json(revoked)).error.code).toBe("key_revoked");
  });

  it("issued to one agent report only that agent's calls", async () => {
    const { license } = await newLicense(h, 100);
    const agentKey = await h.server.admin.issueKey({ licenseId: license.id, agentId: "sales" });
    expect(
      (await call(h, "POST", `/license/${license.id}/update`, agentKey.token, usage(randomUUID(), 5, { agentId: "sales" }))).status,
    ).toBe(200);
    const other = await call(h, "POST", `/license/${license.id}/update`, agentKey.token, usage(randomUUID(), 5, { agentId: "support" }));
    expect(other.status).toBe(403);
    expect((await json(other)).error.field).toBe("agentId");
  });

  it("revoked from another process (the CLI) stop working within a fraction of a second", async () => {
    const { license, token, keyId } = await newLicense(h, 10);
    expect((await call(h, "GET", `/license/${license.id}/credits`, token)).status).toBe(200); // now cached
    const other = createStore({ url: h.databaseUrl, poolSize: 1 });
    try {
      await other.revokeApiKey(keyId);
    } finally {
      await other.close();
    }
    const started = performance.now();
    while ((await call(h, "GET", `/license/${license.id}/credits`, token)).status === 200) {
      expect(performance.now() - started).toBeLessThan(1_000);
      await new Promise((r) => setTimeout(r, 5));
    }
  });

  it("stay revocable while the cache's LISTEN connection is lost, and caching resumes after", async () => {
    const { license, token, keyId } = await newLicense(h, 10);
    expect((await call(h, "GET", `/license/${license.id}/credits`, token)).status).toBe(200); // now cached
    const admin = createStore({ url: h.databaseUrl, poolSize: 1 });
    const listenerPids = async () =>
      (await admin.pool.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE query LIKE 'LISTEN %'")).rows.map((r) => r.pid);
    try {
      const [pid] = await listenerPids();
      expect(pid).toBeDefined();
      await admin.pool.query("SELECT pg_terminate_backend($1)", [pid]);
      await new Promise((r) => setTimeout(r, 100)); // the cache sees the error and stops trusting itself
      await admin.revokeApiKey(keyId); // its NOTIFY reaches nobody
      expect((await call(h, "GET", `/license/${license.id}/credits`, token)).status).toBe(401);
      const started = performance.now();
      while ((await listenerPids()).filter((p) => p !== pid).length === 0) {
        expect(performance.now() - started).toBeLessThan(5_000);
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      await admin.close();
    }
  });

  it("are rate limited per key with 429 and Retry-After", async () => {
    const limited = await startHarness({ rateLimit: { perSecond: 1, burst: 3 } });
    try {
      const a = await newLicense(limited, 10);
      const b = await newLicense(limited, 10);
      const statuses = [];
      for (let i = 0; i < 5; i++) statuses.push((await call(limited, "GET", `/license/${a.license.id}/credits`, a.token)).status);
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
      const res = await call(limited, "GET", `/license/${a.license.id}/credits`, a.token);
      expect(Number(res.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      // Another key is not affected.
      expect((await call(limited, "GET", `/license/${b.license.id}/credits`, b.token)).status).toBe(200);
    } finally {
      await limited.close();
    }
  });
});
