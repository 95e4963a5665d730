// The shared Asterisk's base configuration, as shipped, on a real Asterisk (the one set-up
// records in .build/asterisk.json: ASTERISK_BIN, PATH, or the prebuilt Asterisk 22 build),
// with three generated tenants (one suspended): the boot is clean, the modules of the call path
// run, PJSIP and the dialplan hold exactly the intended objects, a registering trunk registers
// with a real SIP registrar, and tenant files applied through the real ARI reload only what
// changed. Skipped (with the reason printed) only when set-up found no Asterisk.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAsteriskControl, type TAsteriskControl } from "../src/control.ts";
import { generateTenantConfig } from "../src/generate.ts";
import type { TTenantAsteriskInput } from "../src/tenant-data.ts";
import { applyTenantFiles, removeTenantFiles } from "../src/tenant-files.ts";
import { intendedObjects, type TTenantObjects } from "../src/verify.ts";
import { asteriskForTests } from "../testing/asterisk-install.ts";
import { freeSipPort, startRealAsterisk, type TRealAsterisk } from "../testing/real-asterisk.ts";
import { startSipRegistrar } from "../testing/sip-caller.ts";

const install = asteriskForTests();

/** A tenant whose every address is loopback (a real Asterisk qualifies and registers for real). */
function loopbackTenant(
  slug: string,
  o: { status?: "active" | "suspended"; trunkPort: number; registrarPort?: number },
): TTenantAsteriskInput {
  return {
    slug,
    status: o.status ?? "active",
    core: { host: "127.0.0.1", httpPort: 8080, audioSocketPort: 9092 },
    token: `tok${slug}`.padEnd(40, "0"),
    numbers: [
      { number: `+1555${slug.length}000`, agentId: "support", record: true },
      { number: `${slug.length}001`, agentId: "sales" },
    ],
    trunks: [
      { id: "edge", mode: "ip", host: "127.0.0.1", port: o.trunkPort, match: [`127.0.0.1:${o.trunkPort}/32`] },
      ...(o.registrarPort
        ? [
            {
              id: "carrier",
              mode: "registration" as const,
              host: "127.0.0.1",
              port: o.registrarPort,
              username: `acct-${slug}`,
              password: "registrar-pass-123",
            },
          ]
        : []),
    ],
    phones: [{ id: "alice", extension: "200", password: "phone-pass-abcdef" }],
  };
}

/** Top-level names of one `pjsip show <kind>` listing (the part before '/', header rows skipped). */
function pjsipNames(listing: string, label: string): string[] {
  const names: string[] = [];
  for (const m of listing.matchAll(new RegExp(`^\\s*${label}:\\s+(\\S+)`, "gm"))) {
    const name = (m[1] as string).split("/")[0] as string;
    if (!name.startsWith("<")) names.push(name);
  }
  return names;
}

/** Contexts of `dialplan show` created by pbx_config, with their extensions and includes. */
function dialplanContexts(listing: string): TTenantObjects["contexts"] {
  const contexts: TTenantObjects["contexts"] = {};
  let current: { extensions: string[]; includes: string[] } | undefined;
  for (const line of listing.split("\n")) {
    const context = /^\[ Context '([^']+)' created by 'pbx_config' \]/.exec(line);
    if (context) {
      current = { extensions: [], includes: [] };
      contexts[context[1] as string] = current;
      continue;
    }
    if (line.startsWith("[ Context")) current = undefined;
    const exten = /^ {2}'([^']+)' =>/.exec(line);
    if (exten && current) current.extensions.push(exten[1] as string);
    const include = /^ {2}Include =>\s+'([^']+)'/.exec(line);
    if (include && current) current.includes.push(include[1] as string);
  }
  for (const c of Object.values(contexts)) c.extensions.sort();
  return contexts;
}

describe.skipIf(!install)("a real Asterisk with the base configuration and generated tenants", () => {
  let asterisk: TRealAsterisk;
  let registrar: Awaited<ReturnType<typeof startSipRegistrar>>;
  let control: TAsteriskControl;
  const tenants: TTenantAsteriskInput[] = [];

  beforeAll(async () => {
    const registrarPort = await freeSipPort();
    registrar = await startSipRegistrar(registrarPort);
    tenants.push(
      loopbackTenant("acme", { trunkPort: await freeSipPort() }),
      loopbackTenant("globex", { status: "suspended", trunkPort: await freeSipPort() }),
      loopbackTenant("initech", { trunkPort: await freeSipPort(), registrarPort }),
    );
    asterisk = await startRealAsterisk({
      install: install as NonNullable<typeof install>,
      tenants: tenants.map((t) => ({ slug: t.slug, files: generateTenantConfig(t).files })),
    });
    control = await createAsteriskControl({ ...asterisk.ari, attempts: 5 });
  }, 60_000);

  afterAll(async () => {
    await control?.close();
    await asterisk?.stop();
    await registrar?.stop();
  });

  const intended = () => tenants.map((t) => intendedObjects(generateTenantConfig(t).data));

  it("boots with no ERROR line and runs every module of the call path, PJSIP and ARI", async () => {
    expect(asterisk.errors()).toEqual([]);
    for (const module of [
      "chan_pjsip",
      "res_pjsip",
      "res_ari",
      "res_ari_channels",
      "chan_audiosocket",
      "func_curl",
      "pbx_config",
      "res_srtp",
      "codec_gsm",
    ]) {
      expect(await asterisk.cli(`module show like ${module}.so`), module).toMatch(new RegExp(`^${module}\\.so .* Running`, "m"));
    }
  });

  it("holds exactly the intended PJSIP objects of every tenant, and nothing else", async () => {
    const want = (type: string) =>
      intended()
        .flatMap((o) => o.pjsip.filter((p) => p.endsWith(`/${type}`)).map((p) => p.split("/")[0] as string))
        .sort();
    expect(pjsipNames(await asterisk.cli("pjsip show endpoints"), "Endpoint").sort()).toEqual(want("endpoint"));
    expect(pjsipNames(await asterisk.cli("pjsip show aors"), "Aor").sort()).toEqual(want("aor"));
    expect(pjsipNames(await asterisk.cli("pjsip show auths"), "Auth").sort()).toEqual(want("auth"));
    expect(pjsipNames(await asterisk.cli("pjsip show identifies"), "Identify").sort()).toEqual(want("identify"));
    const registrations = [...(await asterisk.cli("pjsip show registrations")).matchAll(/^ (dsai_\S+?)\//gm)].map((m) => m[1]);
    expect(registrations).toEqual(want("registration"));
  });

  it("holds exactly the intended dialplan: every tenant's contexts, extensions and includes, and the base's own", async () => {
    const expected: TTenantObjects["contexts"] = { dsai_unrouted: { extensions: ["_X."], includes: [] } };
    for (const o of intended()) Object.assign(expected, o.contexts);
    const actual = dialplanContexts(await asterisk.cli("dialplan show"));
    expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
    for (const [name, context] of Object.entries(expected)) expect(actual[name], name).toEqual(context);
  });

  it("registers a registering trunk with a real SIP registrar, and loads the WebRTC phones", async () => {
    const deadline = Date.now() + 15_000;
    let listing = "";
    while (Date.now() < deadline) {
      listing = await asterisk.cli("pjsip show registrations");
      if (/dsai_initech_trunk_carrier_reg\/\S+\s+\S+\s+Registered/.test(listing)) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(listing).toMatch(/dsai_initech_trunk_carrier_reg\/sip:127\.0\.0\.1:\d+\s+dsai_initech_trunk_carrier_auth\s+Registered/);
    const phone = await asterisk.cli("pjsip show endpoint dsai_acme_phone_alice");
    expect(phone).toMatch(/webrtc\s+: yes/);
    expect(phone).toMatch(/transport\s+: dsai-wss/);
    expect(asterisk.errors()).toEqual([]);
  });

  it("applies changed tenant files through the real ARI, reloading only the changed module; the other tenants stay", async () => {
    const before = dialplanContexts(await asterisk.cli("dialplan show"));
    const acme = tenants[0] as TTenantAsteriskInput;
    const changed = { ...acme, numbers: [...(acme.numbers ?? []), { number: "+15559999", agentId: "support" }] };
    const result = await applyTenantFiles({ confDir: asterisk.confDir, tenant: changed, control });
    expect(result).toEqual({ changed: ["extensions.conf"], reloaded: ["pbx_config.so"] });
    const after = dialplanContexts(await asterisk.cli("dialplan show"));
    expect(after.dsai_acme_inbound?.extensions).toContain("+15559999");
    for (const name of Object.keys(before).filter((c) => !c.startsWith("dsai_acme_"))) expect(after[name], name).toEqual(before[name]);
    // Nothing changed: nothing is written or reloaded.
    expect(await applyTenantFiles({ confDir: asterisk.confDir, tenant: changed, control })).toEqual({ changed: [], reloaded: [] });
    expect(asterisk.errors()).toEqual([]);
  });

  it("removes a tenant through the real ARI: its objects go, the others stay", async () => {
    await removeTenantFiles({ confDir: asterisk.confDir, slug: "globex", control });
    const contexts = Object.keys(dialplanContexts(await asterisk.cli("dialplan show")));
    expect(contexts.filter((c) => c.startsWith("dsai_globex_"))).toEqual([]);
    expect(contexts).toContain("dsai_acme_inbound");
    expect(contexts).toContain("dsai_initech_call");
    const endpoints = pjsipNames(await asterisk.cli("pjsip show endpoints"), "Endpoint");
    expect(endpoints.filter((e) => e.startsWith("dsai_globex_"))).toEqual([]);
    expect(endpoints).toContain("dsai_initech_trunk_carrier");
    expect(asterisk.errors()).toEqual([]);
  });
});
