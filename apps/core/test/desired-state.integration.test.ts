// The tenant's desired state, end to end: what the tenant API's procedures write comes back from
// `tenant.desiredState` (the platform only) as one validated contract, which the Asterisk
// generator turns into files holding exactly the intended objects — the same bytes every time.
// Rows that today's rules reject (older data) are left out and named, not fatal. Every
// procedure is checked against every kind of caller.
import {
  asteriskInputOf,
  generateTenantConfig,
  intendedObjects,
  parseAsteriskConfig,
  parseDialplan,
  verifyTenantFiles,
} from "@dsai/asterisk";
import { openSecret, ZTenantDesiredStateSchema } from "@dsai/contracts";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PLATFORM, startTenantApi, TENANT_KEY, type TTenantApiHarness } from "./tenant-api-harness.ts";

let api: TTenantApiHarness;
beforeAll(async () => {
  api = await startTenantApi({ slug: "acme" });
});
afterAll(async () => {
  await api?.close();
});

const deployment = { core: { host: "core-acme", httpPort: 8080, audioSocketPort: 9092 }, token: "t".repeat(40) };
const filesOf = async () => {
  const { desiredState } = await api.platform.tenant.desiredState();
  return generateTenantConfig(asteriskInputOf(desiredState, deployment, (sealed) => openSecret(api.secretKey, sealed)));
};

describe("tenant.desiredState", () => {
  it("round-trips what the procedures wrote into Asterisk files holding exactly the intended objects, byte for byte the same each time", async () => {
    const p = api.platform;
    const asr = await p.providerProfiles.create({
      name: "PocketSphinx",
      kind: "asr",
      runtime: { type: "image", image: "dsai/providers:abc", port: 8080, args: ["asr"] },
    });
    const llm = await p.providerProfiles.create({
      name: "GPT",
      kind: "llm",
      runtime: { type: "url", url: "https://llm.example.com/v1" },
      secret: "sk-live-0123456789",
    });
    const tts = await p.providerProfiles.create({
      name: "espeak",
      kind: "tts",
      runtime: { type: "image", image: "dsai/providers:abc", port: 8080, args: ["tts"] },
    });
    await p.agents.create({ id: "support", name: "Support", profiles: { asr: asr.id, llm: llm.id, tts: tts.id }, greeting: "Hello!" });
    await p.agents.create({ id: "sales", name: "Sales", profiles: { llm: llm.id } });
    await p.numbers.create({ number: "+15551000", agentId: "support", record: true });
    await p.numbers.create({ number: "1000", agentId: "sales" });
    await p.trunks.create({
      id: "carrier",
      mode: "registration",
      host: "sip.example.net",
      username: "acme",
      password: "trunk-pass-123456",
    });
    await p.trunks.create({ id: "edge", mode: "ip", host: "192.0.2.10", match: ["192.0.2.0/24"], transport: "tcp" });
    await p.phones.create({ id: "alice", extension: "200", password: "phone-pass-123456" });

    const answer = await p.tenant.desiredState();
    expect(answer.rejected).toEqual([]);
    const state = ZTenantDesiredStateSchema.parse(answer.desiredState);
    expect(state).toMatchObject({ slug: "acme", status: "active", generatorVersion: 2 });
    expect(state.agents.map((a) => a.id)).toEqual(["sales", "support"]);
    expect(state.numbers).toEqual([
      { number: "+15551000", agentId: "support", record: true },
      { number: "1000", agentId: "sales", record: false },
    ]);
    // Secrets stay sealed in the desired state.
    const json = JSON.stringify(answer);
    for (const secret of ["sk-live-0123456789", "trunk-pass-123456", "phone-pass-123456"]) expect(json).not.toContain(secret);

    const { data, files } = await filesOf();
    verifyTenantFiles(data, files);
    const intended = intendedObjects(data);
    const contexts = parseDialplan(parseAsteriskConfig(files["extensions.conf"]));
    expect(contexts.find((c) => c.name === "dsai_acme_inbound")?.steps.map((s) => s.exten)).toEqual(["+15551000", "1000"]);
    expect(Object.keys(intended.contexts).sort()).toEqual(contexts.map((c) => c.name).sort());
    const endpoints = parseAsteriskConfig(files["pjsip.conf"]).sections.filter((s) =>
      s.entries.some((e) => e.key === "type" && e.value === "endpoint"),
    );
    expect(endpoints.map((s) => s.name).sort()).toEqual(["dsai_acme_phone_alice", "dsai_acme_trunk_carrier", "dsai_acme_trunk_edge"]);
    // The generator got the opened passwords.
    expect(files["pjsip.conf"]).toContain("password=trunk-pass-123456");
    expect(files["pjsip.conf"]).toContain("password=phone-pass-123456");
    // Same data, same bytes.
    expect((await filesOf()).files).toEqual(files);
    expect(await p.tenant.desiredState()).toEqual(answer);
  });

  it("follows the tenant's status: suspended, every number refuses", async () => {
    await api.platform.tenant.setStatus({ status: "suspended" });
    const { files } = await filesOf();
    expect(files["extensions.conf"]).not.toContain("CURL");
    await api.platform.tenant.setStatus({ status: "active" });
    expect((await filesOf()).files["extensions.conf"]).toContain("CURL");
  });

  it("leaves out and names rows that today's rules reject (older data), keeping the rest", async () => {
    const longId = "an-agent-id-longer-than-24-chars";
    await api.pool.query("INSERT INTO agent (id, name) VALUES ($1, 'Old agent')", [longId]);
    await api.pool.query("INSERT INTO phone_number (id, number, agent_id) VALUES (gen_random_uuid(), '+15559000', $1)", [longId]);
    await api.pool.query(
      "INSERT INTO sip_trunk (id, name, mode, host, transport, match) VALUES (gen_random_uuid(), 'old-tls', 'ip', '192.0.2.20', 'tls', '{192.0.2.20/32}')",
    );
    const { desiredState, rejected } = await api.platform.tenant.desiredState();
    expect(rejected.map((r) => `${r.table}:${r.key}`).sort()).toEqual([`agent:${longId}`, "phone_number:+15559000", "sip_trunk:old-tls"]);
    expect(rejected.find((r) => r.table === "sip_trunk")?.issues.map((i) => i.path)).toEqual(["transport"]);
    expect(desiredState.agents.map((a) => a.id)).toEqual(["sales", "support"]);
    expect(desiredState.trunks.map((t) => t.id)).toEqual(["carrier", "edge"]);
    verifyTenantFiles(...(Object.values(await filesOf()) as Parameters<typeof verifyTenantFiles>));
    await api.pool.query("DELETE FROM sip_trunk WHERE name = 'old-tls'");
    await api.pool.query("DELETE FROM agent WHERE id = $1", [longId]);
  });

  it("needs the tenant's slug configured, and says so", async () => {
    const { tenantApiRouter } = await import("../src/tenant-api/router.ts");
    const { createContextInner } = await import("../src/tenant-api/trpc.ts");
    const caller = tenantApiRouter.createCaller(
      createContextInner({
        db: api.db,
        pool: api.pool,
        secretKey: api.secretKey,
        slug: undefined,
        liveCalls: () => [],
        principal: PLATFORM,
      }),
    );
    await expect(caller.tenant.desiredState()).rejects.toThrow(/CORE_TENANT_SLUG/);
  });
});

/** Every procedure, with an input that passes validation (the answer may still be NOT_FOUND). */
const PROCEDURES: [string, unknown][] = [
  ["agents.list", undefined],
  ["agents.get", { id: "nobody" }],
  ["agents.create", { id: "authz-agent", name: "A" }],
  ["agents.update", { id: "nobody", name: "B" }],
  ["agents.delete", { id: "nobody" }],
  ["providerProfiles.list", undefined],
  ["providerProfiles.create", { name: "authz profile", kind: "llm", runtime: { type: "url", url: "http://llm:8080" } }],
  ["providerProfiles.delete", { id: "00000000-0000-4000-8000-000000000000" }],
  ["numbers.list", undefined],
  ["numbers.create", { number: "+15557777", agentId: "nobody" }],
  ["numbers.delete", { number: "+15557777" }],
  ["trunks.list", undefined],
  ["trunks.create", { id: "authz-trunk", mode: "ip", host: "192.0.2.1", match: ["192.0.2.1/32"] }],
  ["trunks.delete", { id: "nobody" }],
  ["phones.list", undefined],
  ["phones.create", { id: "authz-phone", extension: "299", password: "phone-pass-123456" }],
  ["phones.delete", { id: "nobody" }],
  ["apiKeys.list", undefined],
  ["apiKeys.create", { label: "authz" }],
  ["apiKeys.revoke", { id: "00000000-0000-4000-8000-000000000000" }],
  ["webhooks.list", undefined],
  ["webhooks.create", { url: "https://hooks.example.com/x" }],
  ["webhooks.delete", { id: "00000000-0000-4000-8000-000000000000" }],
  ["webhooks.deliveries", { id: "00000000-0000-4000-8000-000000000000" }],
  ["calls.list", {}],
  ["calls.get", { id: "00000000-0000-4000-8000-000000000000" }],
  ["calls.live", undefined],
  ["usage.perDay", {}],
  ["tenant.status", undefined],
  ["tenant.setStatus", { status: "active" }],
  ["tenant.desiredState", undefined],
];
const PLATFORM_ONLY = new Set(["tenant.setStatus", "tenant.desiredState"]);

async function outcome(principal: typeof PLATFORM | undefined, path: string, input: unknown): Promise<string> {
  const [router, procedure] = path.split(".") as [string, string];
  const caller = api.caller(principal) as unknown as Record<string, Record<string, (input: unknown) => Promise<unknown>>>;
  try {
    await caller[router]?.[procedure]?.(input);
    return "OK";
  } catch (err) {
    return err instanceof TRPCError ? err.code : String(err);
  }
}

describe("who may call what", () => {
  it("covers every procedure of the router", async () => {
    const { tenantApiRouter } = await import("../src/tenant-api/router.ts");
    expect(PROCEDURES.map(([path]) => path).sort()).toEqual(Object.keys(tenantApiRouter._def.procedures).sort());
  });

  it.each(PROCEDURES)("%s: nobody is refused, a tenant key may (unless platform-only), the platform may", async (path, input) => {
    expect(await outcome(undefined, path, input)).toBe("UNAUTHORIZED");
    const asTenant = await outcome(TENANT_KEY, path, input);
    if (PLATFORM_ONLY.has(path)) expect(asTenant).toBe("FORBIDDEN");
    else expect(["OK", "NOT_FOUND", "BAD_REQUEST", "CONFLICT"]).toContain(asTenant);
    expect(["OK", "NOT_FOUND", "BAD_REQUEST", "CONFLICT"]).toContain(await outcome(PLATFORM, path, input));
  });
});
