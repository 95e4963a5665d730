// Inbound SIP ownership on the real platform database: a tenant's planned change may claim only
// numbers and source networks no other tenant holds, and only trunks the operator's rules allow;
// a refusal names the field, never the other tenant. Runs through the real executor and
// lifecycle with a core that answers the desired state each test gives it (a faithful tRPC peer)
// and a provisioner that plans and applies nothing — no Docker.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { GENERATOR_VERSION, type TResolve, type TTenantDesiredStateInput, ZTenantDesiredStateSchema } from "@dsai/contracts";
import type { Tenant } from "@dsai/db";
import type { TProvisioner } from "@dsai/stacks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TLicenseAdmin } from "../src/server/license/admin-client.ts";
import { decidePlannedRun, planChanges, requestAction } from "../src/server/tenants/lifecycle.ts";
import { newTenantSecrets, sealJson } from "../src/server/tenants/secrets.ts";
import { backfillSipClaims, reserveSipClaims } from "../src/server/tenants/sip-claims.ts";
import { claimSipOwnership, SipOwnershipError } from "../src/server/tenants/sip-ownership.ts";
import { sipPolicyOf, type TSipPolicy, ZSipRulesConfigSchema } from "../src/server/tenants/sip-rules.ts";
import { parseWorkerConfig } from "../src/worker/config.ts";
import { createRunExecutor, type TRunExecutor } from "../src/worker/executor.ts";
import { startConsoleHarness, type TConsoleHarness, TEST_PLATFORM_KEY } from "./harness.ts";

/** The test's DNS: names it knows, and NXDOMAIN for the rest (as the system resolver throws). */
const DNS: Record<string, string[]> = {
  "sip.carrier.example": ["203.0.113.7"],
  "inside.carrier.example": ["203.0.113.8", "10.1.2.3"],
  "pbx.voice.example": ["203.0.113.9"],
  "edge.carrier.example": ["198.51.100.20"],
};
const resolve: TResolve = async (host) => {
  const addresses = DNS[host];
  if (!addresses) throw Object.assign(new Error(`queryA ENOTFOUND ${host}`), { code: "ENOTFOUND" });
  return addresses.map((address) => ({ address, family: 4 }));
};

/** The platform as `npm start` configures it: calls from this machine come from the Asterisk network's gateway. */
const RAW_CONFIG = {
  secretKey: TEST_PLATFORM_KEY.toString("base64"),
  baseDomain: "dsai.localhost",
  stateRoot: "/nonexistent/state",
  images: { core: "dsai/core:test", postgres: "dsai/postgres:test" },
  asteriskConfDir: "/nonexistent/asterisk",
  platformContainers: [],
  proxySourceRange: "172.30.246.0/24",
  license: { adminUrl: "http://127.0.0.1:9", adminToken: "a".repeat(16), urlForCores: "http://license.dsai.localhost" },
  sip: { localNetworks: ["172.30.249.1/32"], platformNetworks: ["198.51.100.0/24"] },
};
const policy: TSipPolicy = sipPolicyOf({ ...RAW_CONFIG, sip: ZSipRulesConfigSchema.parse(RAW_CONFIG.sip) });

type TTrunk = { host?: string; match?: string[] };
function stateOf(slug: string, o: { numbers?: string[]; trunks?: TTrunk[] }): TTenantDesiredStateInput {
  return {
    generatorVersion: GENERATOR_VERSION,
    slug,
    status: "active",
    agents: [{ id: "support", name: "Support" }],
    numbers: (o.numbers ?? []).map((number) => ({ number, agentId: "support" })),
    trunks: (o.trunks ?? []).map((t, i) => ({ id: `t${i}`, mode: "ip", host: t.host ?? "sip.carrier.example", match: t.match ?? [] })),
  };
}

describe("inbound SIP ownership", () => {
  let h: TConsoleHarness;
  let core: Server;
  let executor: TRunExecutor;
  let ownerId: string;
  /** What each tenant's core answers as its desired state. */
  const answers = new Map<string, TTenantDesiredStateInput>();
  /** Whether the provisioner's next plan finds changes (a plan without any succeeds at once). */
  let planHasChanges = true;

  beforeAll(async () => {
    h = await startConsoleHarness();
    // Every tenant's core at /<slug>/: tRPC's answer (no transformer) to tenant.desiredState, and /healthz.
    core = createServer((req, res) => {
      const [, slug = "", ...rest] = new URL(req.url ?? "/", "http://core").pathname.split("/");
      if (rest.join("/") === "healthz") return res.end("ok");
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ result: { data: { desiredState: answers.get(slug), rejected: [] } } }));
    });
    await new Promise<void>((r) => core.listen(0, "127.0.0.1", r));
    const coreUrl = `http://127.0.0.1:${(core.address() as AddressInfo).port}`;
    const provisioner = {
      plan: async () => ({ hasChanges: planHasChanges, add: planHasChanges ? 1 : 0, change: 0, destroy: 0, resources: [] }),
      apply: async () => ({ plan: { hasChanges: true, add: 1, change: 0, destroy: 0, resources: [] }, reloaded: [], outputs: {} }),
      destroy: async () => ({ reloaded: [] }),
    } as unknown as TProvisioner;
    const license = {
      createLicense: async (o: { id: string }) => ({ id: o.id }),
      issueKey: async () => ({ token: "key" }),
      close: async () => {},
      suspend: async () => {},
      reactivate: async () => {},
    } as unknown as TLicenseAdmin;
    executor = createRunExecutor({
      db: h.db,
      provisioner,
      license,
      resolve,
      log: () => {},
      cores: { endpoint: (slug) => ({ url: `${coreUrl}/${slug}` }) },
      config: parseWorkerConfig({ ...RAW_CONFIG, databaseUrl: h.databaseUrl }),
    });
    ownerId = (await h.make.user()).id;
  });

  afterAll(async () => {
    await new Promise((r) => core?.close(r));
    await h?.close();
  });

  async function tenant(): Promise<Tenant> {
    const t = await h.make.tenant({ members: [{ userId: ownerId, role: "owner" }] });
    return h.db.tenant.update({ where: { id: t.id }, data: { secretsSealed: sealJson(TEST_PLATFORM_KEY, newTenantSecrets()) } });
  }

  /** Plans the change the tenant's core now answers, as the console does; the run as the worker left it. */
  async function plan(t: Tenant, o: { numbers?: string[]; trunks?: TTrunk[] }) {
    answers.set(t.slug, stateOf(t.slug, o));
    const run = await planChanges(h.db, h.queue, ownerId, t.id);
    await executor.drainTenant(t.id);
    return h.db.provisioningRun.findUniqueOrThrow({ where: { id: run.id } });
  }

  async function approve(t: Tenant, runId: string) {
    await decidePlannedRun(h.db, h.queue, ownerId, t.id, runId, "approve");
    await executor.drainTenant(t.id);
    return h.db.provisioningRun.findUniqueOrThrow({ where: { id: runId } });
  }

  const claims = (t: Tenant) =>
    h.db.sipClaim
      .findMany({ where: { tenantId: t.id }, orderBy: { value: "asc" } })
      .then((rows) => rows.map((r) => [r.kind, r.value, r.state]));

  it("a number and a network planned by one tenant cannot be planned by another; the refusal names the field, not the tenant", async () => {
    const a = await tenant();
    const b = await tenant();
    const planned = await plan(a, { numbers: ["+15551000"], trunks: [{ match: ["203.0.113.0/28"] }] });
    expect(planned.status).toBe("planned");
    expect(await claims(a)).toEqual([
      ["number", "15551000", "planned"],
      ["network", "203.0.113.0/28", "planned"],
    ]);

    // The same number without its '+' is the same number.
    const number = await plan(b, { numbers: ["15551000"] });
    expect(number.status).toBe("failed");
    expect(number.error).toContain("numbers[0].number: 15551000 is another tenant's number");
    const network = await plan(b, { numbers: ["+15551001"], trunks: [{ match: ["203.0.113.8/29"] }] });
    expect(network.status).toBe("failed");
    expect(network.error).toContain("trunks[0].match[0]: 203.0.113.8/29 overlaps a network another tenant's trunk receives calls from");
    for (const error of [number.error, network.error]) {
      expect(error).not.toContain(a.slug);
      expect(error).not.toContain(a.id);
    }
    // Nothing was applied: B stays active, holds nothing, and can correct its change.
    expect((await h.db.tenant.findUniqueOrThrow({ where: { id: b.id } })).status).toBe("active");
    expect(await claims(b)).toEqual([]);
    expect((await plan(b, { numbers: ["+15551001"], trunks: [{ match: ["203.0.113.16/28"] }] })).status).toBe("planned");

    // Approved and applied, A's claims are applied; they still block B.
    expect((await approve(a, planned.id)).status).toBe("succeeded");
    expect(await claims(a)).toEqual([
      ["number", "15551000", "applied"],
      ["network", "203.0.113.0/28", "applied"],
    ]);
    await decidePlannedRun(
      h.db,
      h.queue,
      ownerId,
      b.id,
      (await h.db.provisioningRun.findFirstOrThrow({ where: { tenantId: b.id, status: "planned" } })).id,
      "discard",
    );
    expect((await plan(b, { numbers: ["+15551000"] })).error).toContain("numbers[0].number: +15551000 is another tenant's number");
  });

  it("a discarded plan releases what it claimed", async () => {
    const a = await tenant();
    const b = await tenant();
    const planned = await plan(a, { numbers: ["+15552000"], trunks: [{ match: ["203.0.113.32/28"] }] });
    expect(planned.status).toBe("planned");
    await decidePlannedRun(h.db, h.queue, ownerId, a.id, planned.id, "discard");
    expect(await claims(a)).toEqual([]);
    expect((await plan(b, { numbers: ["+15552000"], trunks: [{ match: ["203.0.113.32/28"] }] })).status).toBe("planned");
  });

  it("a deleted tenant releases everything it held", async () => {
    const a = await tenant();
    const b = await tenant();
    const planned = await plan(a, { numbers: ["+15553000"], trunks: [{ match: ["203.0.113.48/28"] }] });
    expect((await approve(a, planned.id)).status).toBe("succeeded");
    expect(await claims(a)).toHaveLength(2);
    await requestAction(h.db, h.queue, ownerId, a.id, "delete");
    await executor.drainTenant(a.id);
    expect((await h.db.tenant.findUniqueOrThrow({ where: { id: a.id } })).status).toBe("deleted");
    expect(await claims(a)).toEqual([]);
    expect((await plan(b, { numbers: ["+15553000"], trunks: [{ match: ["203.0.113.48/28"] }] })).status).toBe("planned");
  });

  it("two tenants planning the same number at the same time: exactly one gets it", async () => {
    for (let round = 0; round < 8; round++) {
      const [a, b] = [await tenant(), await tenant()];
      const number = `+1555${String(4000 + round)}`;
      const runOf = (t: Tenant) => h.db.provisioningRun.create({ data: { tenantId: t.id, action: "update", status: "running" } });
      const [runA, runB] = [await runOf(a), await runOf(b)];
      const outcomes = await Promise.all(
        [
          [a, runA],
          [b, runB],
        ].map(([t, run]) =>
          reserveSipClaims(h.db, {
            tenantId: (t as Tenant).id,
            runId: (run as { id: string }).id,
            desiredState: { numbers: [{ number, agentId: "x", record: false }], trunks: [] },
          }),
        ),
      );
      expect(outcomes.map((issues) => issues.length).sort()).toEqual([0, 1]);
      expect(await h.db.sipClaim.count({ where: { kind: "number", value: number.slice(1) } })).toBe(1);
    }
  });

  describe("the operator's rules for trunks", () => {
    const refusal = async (trunk: TTrunk, p: TSipPolicy = policy) => {
      const t = await tenant();
      const run = await h.db.provisioningRun.create({ data: { tenantId: t.id, action: "update", status: "running" } });
      const desiredState = ZTenantDesiredStateSchema.parse(stateOf(t.slug, { trunks: [trunk] }));
      const err = await claimSipOwnership(h.db, { tenantId: t.id, runId: run.id, desiredState, policy: p, resolve }).then(
        () => undefined,
        (e: unknown) => e,
      );
      if (err === undefined) return undefined;
      expect(err).toBeInstanceOf(SipOwnershipError);
      expect(await h.db.sipClaim.count({ where: { tenantId: t.id } })).toBe(0);
      return (err as SipOwnershipError).issues;
    };

    it("accepts a public network no broader than /24 and a public carrier host", async () => {
      expect(await refusal({ match: ["203.0.113.192/26", "192.0.2.10:5060/32"] })).toBeUndefined();
      expect(await refusal({ host: "203.0.113.7", match: ["192.0.2.64/28"] })).toBeUndefined();
    });

    it.each([
      ["0.0.0.0/0", /every address|not a public network/],
      ["10.0.0.0/8", /not a public network \(10\.0\.0\.0 is private\)/],
      ["10.1.2.0/24", /not a public network \(10\.1\.2\.0 is private\)/],
      ["172.30.249.0/24", /not a public network/],
      ["127.0.0.1/32", /not a public network \(127\.0\.0\.1 is loopback\)/],
      ["169.254.169.254/32", /linkLocal/],
      ["100.64.10.0/24", /carrierGradeNat/],
      ["224.0.0.0/24", /multicast/],
      ["203.0.0.0/16", /broader than \/24/],
      ["198.51.100.128/25", /the platform's own networks/],
    ])("refuses a trunk receiving calls from %s", async (match, why) => {
      const issues = await refusal({ match: ["203.0.113.96/28", match] });
      expect(issues).toEqual([{ path: "trunks[0].match[1]", message: expect.stringMatching(why) }]);
    });

    it.each([
      ["127.0.0.1", /internal address \(loopback\)/],
      ["10.0.0.5", /internal address \(private\)/],
      ["core-acme", /bare name/],
      ["db", /bare name/],
      ["x.dsai.localhost", /under the platform's domain|localhost/],
      ["localhost", /localhost|bare name/],
      ["inside.carrier.example", /resolves to an internal address \(10\.1\.2\.3, private\)/],
      ["nowhere.carrier.example", /cannot resolve/],
      ["edge.carrier.example", /one of the platform's own addresses \(198\.51\.100\.20\)/],
    ])("refuses a trunk sending SIP to %s", async (host, why) => {
      expect(await refusal({ host, match: ["203.0.113.112/28"] })).toEqual([
        { path: "trunks[0].host", message: expect.stringMatching(why) },
      ]);
    });

    it("refuses a host under a public base domain: another tenant's core", async () => {
      const voice = { ...policy, baseDomain: "voice.example" };
      expect(await refusal({ host: "pbx.voice.example", match: ["203.0.113.128/28"] }, voice)).toEqual([
        { path: "trunks[0].host", message: expect.stringMatching(/under the platform's domain voice\.example/) },
      ]);
      expect(await refusal({ host: "pbx.voice.example", match: ["203.0.113.128/28"] })).toBeUndefined();
    });

    it("accepts the operator's local network for one tenant only (a second one overlaps)", async () => {
      const local = { host: "172.30.249.1", match: ["172.30.249.1/32"] };
      expect(await refusal(local)).toBeUndefined();
      expect(await refusal(local)).toEqual([
        { path: "trunks[0].match[0]", message: "172.30.249.1/32 overlaps a network another tenant's trunk receives calls from" },
      ]);
      // Only what lies inside the allowed network: its neighbours are private as ever.
      expect(await refusal({ host: "172.30.249.2", match: ["172.30.249.0/30"] })).toEqual([
        { path: "trunks[0].host", message: expect.stringMatching(/private/) },
        { path: "trunks[0].match[0]", message: expect.stringMatching(/private/) },
      ]);
    });
  });

  it("a plan without changes succeeds at once; the tenant keeps its claims, also after the next start's backfill", async () => {
    const a = await tenant();
    const change = { numbers: ["+15556000"], trunks: [{ match: ["203.0.113.160/28"] }] };
    expect((await approve(a, (await plan(a, change)).id)).status).toBe("succeeded");
    planHasChanges = false;
    try {
      expect((await plan(a, change)).status).toBe("succeeded");
    } finally {
      planHasChanges = true;
    }
    await backfillSipClaims(h.db);
    expect(await claims(a)).toEqual([
      ["number", "15556000", "applied"],
      ["network", "203.0.113.160/28", "applied"],
    ]);
    // A later plan that drops them, discarded: the applied claims stay.
    await decidePlannedRun(h.db, h.queue, ownerId, a.id, (await plan(a, {})).id, "discard");
    expect(await claims(a)).toHaveLength(2);
  });

  it("tenants applied before the registry get their claims from their last applied state", async () => {
    const old = await tenant();
    const applied = stateOf(old.slug, { numbers: ["+15555000"], trunks: [{ match: ["203.0.113.144/28"] }] });
    await h.db.provisioningRun.create({
      data: {
        tenantId: old.id,
        action: "create",
        status: "succeeded",
        finishedAt: new Date(),
        desiredState: ZTenantDesiredStateSchema.parse(applied),
      },
    });
    // An older applied state of an attacker that already collides: kept, and reported to the operator.
    const taker = await tenant();
    await h.db.provisioningRun.create({
      data: {
        tenantId: taker.id,
        action: "create",
        status: "succeeded",
        finishedAt: new Date(),
        desiredState: ZTenantDesiredStateSchema.parse(stateOf(taker.slug, { trunks: [{ match: ["203.0.113.144/29"] }] })),
      },
    });
    const { collisions } = await backfillSipClaims(h.db);
    expect(await claims(old)).toEqual([
      ["number", "15555000", "applied"],
      ["network", "203.0.113.144/28", "applied"],
    ]);
    expect(collisions).toContain(
      `${taker.slug} trunks[0].match[0]: 203.0.113.144/29 overlaps a network another tenant's trunk receives calls from`,
    );
    // Idempotent: a second start changes nothing.
    await backfillSipClaims(h.db);
    expect(await claims(old)).toHaveLength(2);
    const b = await tenant();
    expect((await plan(b, { numbers: ["+15555000"] })).error).toContain("numbers[0].number: +15555000 is another tenant's number");
  });
});
