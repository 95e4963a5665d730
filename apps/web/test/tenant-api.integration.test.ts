// The console's tenant API through createCaller against real Postgres: every procedure under
// every kind of caller (owner, admin, member, stranger, anonymous), the lifecycle's rules, and
// errors that name fields and never leak internals.
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handleTrpc } from "../src/server/api/http.ts";
import { appRouter } from "../src/server/api/root.ts";
import type { TSessionUser } from "../src/server/auth/accounts.ts";
import { DEFAULT_MAX_TENANTS_PER_OWNER } from "../src/server/tenants/lifecycle.ts";
import { startConsoleHarness, type TConsoleHarness, TEST_PLATFORM_KEY } from "./harness.ts";

let h: TConsoleHarness;
const who: Record<"owner" | "admin" | "member" | "stranger", TSessionUser> = {} as never;

beforeAll(async () => {
  h = await startConsoleHarness();
  for (const name of ["owner", "admin", "member", "stranger"] as const) who[name] = h.sessionOf(await h.make.user());
});
afterAll(async () => {
  await h?.close();
});

/** Procedures any signed-in user may call (they name no tenant). */
const UNSCOPED = new Set(["auth.signUp", "auth.me", "tenant.list", "tenant.checkSlug", "tenant.targets", "tenant.create"]);
/** The platform's own administration: platform admins only. */
const isAdminProcedure = (path: string) => path.startsWith("admin.");
/** The least role of each tenant-scoped procedure: members read, admins change, owners delete. */
const leastRole = (path: string, type: string): "member" | "admin" | "owner" =>
  path === "tenant.delete" || (path.startsWith("member.") && type === "mutation") ? "owner" : type === "query" ? "member" : "admin";
/** Every tenant-scoped procedure of the console, straight from the router: a new one is covered by itself. */
const PROCEDURES = Object.entries(appRouter._def.procedures as unknown as Record<string, { _def: { type: string } }>)
  .filter(([path]) => !UNSCOPED.has(path) && !isAdminProcedure(path))
  .map(([path, p]) => ({ name: path, least: leastRole(path, p._def.type) }));
/** One input that satisfies every procedure's envelope (object inputs ignore the keys they do not name). */
const inputFor = (slug: string) => ({
  tenant: slug,
  confirmSlug: slug,
  id: "support",
  number: "1000",
  data: {},
  filter: {},
  days: 7,
  runId: "00000000-0000-4000-8000-000000000000",
  afterSeq: 0,
  userId: "00000000-0000-4000-8000-000000000001",
  role: "member",
  licenseId: "00000000-0000-4000-8000-000000000002",
  minutes: 10,
});
type TCaller = ReturnType<TConsoleHarness["callerAs"]>;
const callByPath = (c: TCaller, path: string, input: unknown) =>
  (path.split(".").reduce((o: unknown, k) => (o as Record<string, unknown>)[k], c) as (i: unknown) => Promise<unknown>)(input);
const RANK = { member: 1, admin: 2, owner: 3 } as const;

const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => "OK",
    (err: unknown) => (err instanceof TRPCError ? err.code : `not a TRPCError: ${String(err)}`),
  );

describe("authorization matrix", () => {
  for (const p of PROCEDURES) {
    it(`${p.name}: anonymous -> UNAUTHORIZED, stranger -> NOT_FOUND, below ${p.least} -> FORBIDDEN, others pass the check`, async () => {
      const tenant = await h.make.tenant({
        members: [
          { userId: who.owner.id, role: "owner" },
          { userId: who.admin.id, role: "admin" },
          { userId: who.member.id, role: "member" },
        ],
      });
      const call = (c: TCaller) => callByPath(c, p.name, inputFor(tenant.slug));
      expect(await codeOf(call(h.callerAs(null)))).toBe("UNAUTHORIZED");
      expect(await codeOf(call(h.callerAs(who.stranger)))).toBe("NOT_FOUND");
      for (const role of ["member", "admin", "owner"] as const) {
        const code = await codeOf(call(h.callerAs(who[role])));
        if (RANK[role] < RANK[p.least]) expect(code, role).toBe("FORBIDDEN");
        // Allowed: the call succeeds or is refused for the tenant's state (here: a tenant with no
        // core yet) — never for who asks.
        else expect(["OK", "CONFLICT", "NOT_FOUND", "BAD_REQUEST"], `${role}: ${code}`).toContain(code);
      }
      // A member's allowed NOT_FOUND is the run's (runEvents with an unknown run), not the tenant's.
      if (p.name === "tenant.runEvents") await expect(call(h.callerAs(who.member))).rejects.toThrow(/No such run/);
    });
  }

  const ADMIN_PROCEDURES = Object.keys(appRouter._def.procedures).filter(isAdminProcedure);
  for (const path of ADMIN_PROCEDURES) {
    it(`${path}: anonymous -> UNAUTHORIZED, any tenant role -> FORBIDDEN, platform admin passes the check`, async () => {
      const tenant = await h.make.tenant({ members: [{ userId: who.owner.id, role: "owner" }] });
      const call = (c: TCaller) => callByPath(c, path, inputFor(tenant.slug));
      expect(await codeOf(call(h.callerAs(null)))).toBe("UNAUTHORIZED");
      expect(await codeOf(call(h.callerAs(who.owner)))).toBe("FORBIDDEN");
      const admin = h.sessionOf(await h.make.user({ isPlatformAdmin: true }));
      // No License Service in this test: the license procedures answer that it is unavailable.
      expect(["OK", "BAD_GATEWAY"]).toContain(await codeOf(call(h.callerAs(admin))));
    });
  }

  it("covers every procedure of the console's API", () => {
    expect(PROCEDURES.length + UNSCOPED.size + ADMIN_PROCEDURES.length).toBe(Object.keys(appRouter._def.procedures).length);
    expect(PROCEDURES.length).toBeGreaterThanOrEqual(34);
  });

  it("tenant.list, checkSlug and create need a signed-in user; list shows only the caller's tenants", async () => {
    expect(await codeOf(h.callerAs(null).tenant.list())).toBe("UNAUTHORIZED");
    expect(await codeOf(h.callerAs(null).tenant.checkSlug({ slug: "acme" }))).toBe("UNAUTHORIZED");
    expect(await codeOf(h.callerAs(null).tenant.create({ slug: "anon", name: "x" }))).toBe("UNAUTHORIZED");
    const mine = await h.make.tenant({ members: [{ userId: who.stranger.id, role: "member" }] });
    const listed = await h.callerAs(who.stranger).tenant.list();
    expect(listed.map((t) => t.slug)).toEqual([mine.slug]);
  });
});

describe("tenant lifecycle", () => {
  it("creates a tenant: the caller owns it, a create run is queued and a worker job is waiting", async () => {
    const user = h.sessionOf(await h.make.user());
    const caller = h.callerAs(user);
    expect(await caller.tenant.checkSlug({ slug: "acme-voice" })).toEqual({
      slug: "acme-voice",
      available: true,
      host: "acme-voice.dsai.localhost",
    });
    await caller.tenant.create({ slug: "acme-voice", name: "Acme Voice" });
    expect(await caller.tenant.checkSlug({ slug: "acme-voice" })).toEqual({ slug: "acme-voice", available: false, reason: "taken" });
    const overview = await caller.tenant.get({ tenant: "acme-voice" });
    expect(overview).toMatchObject({
      status: "provisioning",
      endpoints: { host: "acme-voice.dsai.localhost" },
      latestRun: { action: "create", status: "queued" },
    });
    expect((await caller.tenant.list())[0]).toMatchObject({ slug: "acme-voice", role: "owner" });
    expect(await h.queue.boss.getQueueSize("provision-tenant")).toBeGreaterThanOrEqual(1);
    const audit = await h.db.auditEntry.findMany({ where: { userId: user.id } });
    expect(audit.map((a) => a.action)).toEqual(["tenant.create"]);
  });

  it("lets one account own at most the operator's number of live tenants, even when it asks for many at once", async () => {
    const owner = await h.make.user();
    const caller = h.callerAs(h.sessionOf(owner));
    // Deleted tenants do not count; tenants it is only a member of do not either.
    await h.make.tenant({ members: [{ userId: owner.id, role: "owner" }], status: "deleted" });
    await h.make.tenant({ members: [{ userId: owner.id, role: "admin" }] });
    const slugs = Array.from({ length: DEFAULT_MAX_TENANTS_PER_OWNER + 3 }, (_, i) => `cap-${owner.id.slice(0, 8)}-${i}`);
    const results = await Promise.allSettled(slugs.map((slug) => caller.tenant.create({ slug, name: "Capped" })));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(DEFAULT_MAX_TENANTS_PER_OWNER);
    for (const r of results.filter((x) => x.status === "rejected"))
      expect((r as PromiseRejectedResult).reason).toMatchObject({
        code: "CONFLICT",
        message: `An account may own at most ${DEFAULT_MAX_TENANTS_PER_OWNER} tenants on this platform: delete one before creating another.`,
      });
    expect(await h.db.membership.count({ where: { userId: owner.id, role: "owner", tenant: { status: { not: "deleted" } } } })).toBe(
      DEFAULT_MAX_TENANTS_PER_OWNER,
    );
  });

  it("refuses bad slugs with the reason next to the field, reserved names included", async () => {
    const caller = h.callerAs(h.sessionOf(await h.make.user()));
    for (const [slug, reason] of [
      ["app", /reserved/],
      ["Acme", /DNS label/],
      ["a_b", /DNS label/],
      ["x".repeat(33), /DNS label/],
      ["-acme", /DNS label/],
    ] as const) {
      const check = await caller.tenant.checkSlug({ slug });
      expect(check.available, slug).toBe(false);
      expect(check.reason).toMatch(reason);
      const err = await caller.tenant.create({ slug, name: "x" }).catch((e) => e);
      expect(err).toBeInstanceOf(TRPCError);
      expect(err.code).toBe("BAD_REQUEST");
    }
  });

  it("moves through suspend and reactivate only from the right states, one run at a time", async () => {
    const owner = h.sessionOf(await h.make.user());
    const tenant = await h.make.tenant({ members: [{ userId: owner.id, role: "owner" }], status: "active" });
    const caller = h.callerAs(owner);
    await expect(caller.tenant.reactivate({ tenant: tenant.slug })).rejects.toThrow(/is active; reactivate needs it suspended/);
    await caller.tenant.suspend({ tenant: tenant.slug });
    expect((await caller.tenant.get({ tenant: tenant.slug })).status).toBe("suspending");
    // While the suspend run waits, nothing else but delete may be asked.
    await expect(caller.tenant.suspend({ tenant: tenant.slug })).rejects.toThrow(/is suspending/);
    await expect(caller.tenant.delete({ tenant: tenant.slug, confirmSlug: "wrong" })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(caller.tenant.delete({ tenant: tenant.slug, confirmSlug: tenant.slug })).rejects.toThrow(/is suspending/);
    expect((await caller.tenant.runs({ tenant: tenant.slug })).map((r) => [r.action, r.status])).toEqual([["suspend", "queued"]]);
  });

  it("retries a failed tenant's last failed run", async () => {
    const owner = h.sessionOf(await h.make.user());
    const tenant = await h.make.tenant({ members: [{ userId: owner.id, role: "owner" }], status: "failed" });
    await h.db.provisioningRun.create({ data: { tenantId: tenant.id, action: "create", status: "failed", error: "tofu apply failed" } });
    const caller = h.callerAs(owner);
    const run = await caller.tenant.retry({ tenant: tenant.slug });
    expect(run).toMatchObject({ action: "create", status: "queued" });
    expect((await caller.tenant.get({ tenant: tenant.slug })).status).toBe("provisioning");
    await expect(caller.tenant.retry({ tenant: tenant.slug })).rejects.toThrow(/Only a failed tenant/);
  });
});

describe("members", () => {
  it("owners add people by their account's email, change roles, and a tenant always keeps an owner", async () => {
    const owner = h.sessionOf(await h.make.user());
    const bob = await h.make.user({ email: `bob-${Date.now()}@example.test` });
    const tenant = await h.make.tenant({ members: [{ userId: owner.id, role: "owner" }] });
    const caller = h.callerAs(owner);
    await expect(caller.member.add({ tenant: tenant.slug, data: { email: "nobody@example.test", role: "admin" } })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      cause: { issues: [{ path: "email", message: expect.stringMatching(/no account/) }] },
    });
    await caller.member.add({ tenant: tenant.slug, data: { email: bob.email.toUpperCase(), role: "admin" } });
    expect((await caller.member.list({ tenant: tenant.slug })).map((m) => [m.email, m.role])).toEqual([
      [owner.email, "owner"],
      [bob.email, "admin"],
    ]);
    await expect(caller.member.setRole({ tenant: tenant.slug, userId: owner.id, role: "member" })).rejects.toThrow(/at least one owner/);
    await caller.member.setRole({ tenant: tenant.slug, userId: bob.id, role: "owner" });
    await caller.member.setRole({ tenant: tenant.slug, userId: owner.id, role: "member" });
    // Now a member: the owner's powers are gone.
    await expect(caller.member.remove({ tenant: tenant.slug, userId: bob.id })).rejects.toMatchObject({ code: "FORBIDDEN" });
    const audit = await h.db.auditEntry.findMany({ where: { tenantId: tenant.id }, orderBy: { at: "asc" } });
    expect(audit.map((a) => a.action)).toEqual(["member.add", "member.role", "member.role"]);
  });
});

describe("errors over HTTP (the route's handler, as the console serves it)", () => {
  const context = (user: TSessionUser | null) => async () => ({
    db: h.db,
    user,
    queue: h.queue,
    baseDomain: "dsai.localhost",
    cores: { endpoint: () => ({ url: "http://127.0.0.1:9" }), secretKey: TEST_PLATFORM_KEY },
  });
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    new Request(`http://127.0.0.1:3000/api/trpc/${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", host: "127.0.0.1:3000", ...headers },
      body: JSON.stringify(body),
    });

  it("names each bad field, answers an unexpected failure without stack, path or SQL, and refuses cross-site writes", async () => {
    const bad = await handleTrpc(post("auth.signUp", { email: "x", password: "short" }), context(null));
    expect(bad.status).toBe(400);
    const badBody = (await bad.json()) as { error: { message: string; data: { fieldIssues: { path: string }[] } } };
    expect(badBody.error.data.fieldIssues.map((i) => i.path).sort()).toEqual(["email", "password"]);

    const ghost = h.sessionOf(await h.make.user());
    await h.db.user.delete({ where: { id: ghost.id } });
    const failed = await handleTrpc(post("tenant.create", { slug: "ghost-http", name: "Ghost" }), context(ghost));
    const text = await failed.text();
    expect(failed.status).toBe(500);
    expect(text).toContain("Something went wrong on our side");
    expect(text).not.toMatch(/stack|\/work\/|node_modules|\.ts:\d+|Prisma|Foreign|INSERT|"Tenant"/);

    const crossSite = await handleTrpc(post("auth.signUp", {}, { origin: "http://evil.example" }), context(null));
    expect(crossSite.status).toBe(403);
  });
});
