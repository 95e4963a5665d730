// Property: whatever string lands in whatever field of whatever procedure that writes the
// tenant's configuration, the tenant API either rejects it with an error naming that field, or
// stores it so that it comes back in the desired state (never left out as a rejected row) and
// the Asterisk generator turns that state into files holding exactly the intended objects. So
// the tenant API and the generator accept exactly the same values.
import { asteriskInputOf, generateTenantConfig, verifyTenantFiles } from "@dsai/asterisk";
import { anyString } from "@dsai/asterisk/testing/hostile-strings";
import { openSecret } from "@dsai/contracts";
import { TRPCError } from "@trpc/server";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ZodError } from "zod";
import { startTenantApi, type TTenantApiHarness } from "./tenant-api-harness.ts";

let api: TTenantApiHarness;
beforeAll(async () => {
  api = await startTenantApi({ slug: "acme" });
  await api.platform.agents.create({ id: "support", name: "Support" });
});
afterAll(async () => {
  await api?.close();
});

type TCase = {
  procedure: "agents.create" | "numbers.create" | "trunks.create" | "phones.create" | "providerProfiles.create";
  base: Record<string, unknown>;
  /** Field paths; a path ending in "*" puts the value in a record's key instead. */
  fields: (string | number)[][];
};

const CASES: TCase[] = [
  {
    procedure: "agents.create",
    base: { id: "prop-agent", name: "Agent", prompt: "Be brief.", greeting: "Hi!", language: "en-US", voice: "en-us" },
    fields: [["id"], ["name"], ["prompt"], ["greeting"], ["language"], ["voice"]],
  },
  { procedure: "numbers.create", base: { number: "+15550123", agentId: "support" }, fields: [["number"], ["agentId"]] },
  {
    procedure: "trunks.create",
    base: {
      id: "prop-trunk",
      mode: "registration",
      host: "sip.example.net",
      transport: "udp",
      username: "user",
      password: "trunk-pass-12345",
      codecs: ["ulaw"],
    },
    fields: [["id"], ["host"], ["transport"], ["username"], ["password"], ["codecs", 0]],
  },
  { procedure: "trunks.create", base: { id: "prop-ip", mode: "ip", host: "192.0.2.1", match: ["192.0.2.0/24"] }, fields: [["match", 0]] },
  {
    procedure: "phones.create",
    base: { id: "prop-phone", extension: "321", password: "phone-pass-12345", codecs: ["opus"] },
    fields: [["id"], ["extension"], ["password"], ["codecs", 0]],
  },
  {
    procedure: "providerProfiles.create",
    base: {
      name: "Profile",
      kind: "tts",
      runtime: { type: "image", image: "dsai/providers:abc", port: 8080, args: ["tts"], env: { VOICE: "en" } },
      settings: { rate: "1" },
    },
    fields: [
      ["name"],
      ["runtime", "image"],
      ["runtime", "args", 0],
      ["runtime", "env", "VOICE"],
      ["runtime", "env", "*"],
      ["settings", "*"],
      ["settings", "rate"],
    ],
  },
  {
    procedure: "providerProfiles.create",
    base: { name: "External", kind: "llm", runtime: { type: "url", url: "https://llm.example.com/v1" } },
    fields: [["runtime", "url"]],
  },
];

function withValue(base: Record<string, unknown>, path: (string | number)[], value: string): Record<string, unknown> {
  const input = structuredClone(base);
  let node = input as Record<string | number, unknown>;
  for (const key of path.slice(0, -2)) node = node[key] as Record<string | number, unknown>;
  const last = path.at(-1) as string | number;
  const parent = path.length > 1 ? (node[path.at(-2) as string | number] as Record<string | number, unknown>) : node;
  if (last === "*") {
    // A hostile key in a record: the record holds just that key.
    node[path.at(-2) as string | number] = { [value]: "x" };
  } else parent[last] = value;
  return input;
}

/** Fields whose values reach an Asterisk file: an accepted value must carry none of its syntax. */
const REACHES_ASTERISK = new Set([
  "id",
  "number",
  "agentId",
  "host",
  "username",
  "password",
  "extension",
  "match.0",
  "codecs.0",
  "transport",
]);

async function cleanUp(procedure: TCase["procedure"], input: Record<string, unknown>): Promise<void> {
  const p = api.platform;
  if (procedure === "agents.create") await p.agents.delete({ id: input.id as string });
  if (procedure === "numbers.create") await p.numbers.delete({ number: input.number as string });
  if (procedure === "trunks.create") await p.trunks.delete({ id: input.id as string });
  if (procedure === "phones.create") await p.phones.delete({ id: input.id as string });
  if (procedure === "providerProfiles.create") await api.db.providerProfile.deleteMany({});
}

const deployment = { core: { host: "core-acme", httpPort: 8080, audioSocketPort: 9092 }, token: "t".repeat(40) };

describe("the tenant API and the generator accept the same values", () => {
  it.each(CASES.flatMap((c) => c.fields.map((f) => [`${c.procedure} ${f.join(".")}`, c, f] as const)))(
    "%s",
    async (_name, c, field) => {
      const [router, procedure] = c.procedure.split(".") as [string, string];
      const call = (input: unknown) =>
        (api.platform as unknown as Record<string, Record<string, (i: unknown) => Promise<unknown>>>)[router]?.[procedure]?.(input);
      const fieldName = field.filter((k) => k !== "*").join(".");
      let accepted = 0;
      await fc.assert(
        fc.asyncProperty(anyString, async (value) => {
          const input = withValue(c.base, field, value);
          try {
            await call(input);
          } catch (err) {
            // Rejected: the error names the field the value was put in.
            expect(err).toBeInstanceOf(TRPCError);
            const e = err as TRPCError;
            expect(e.code).toBe("BAD_REQUEST");
            const named = e.cause instanceof ZodError ? e.cause.issues.map((i) => i.path.join(".")) : [e.message.split(":")[0] ?? ""];
            expect(
              named.some((p) => p === fieldName || p.startsWith(`${fieldName}.`)),
              `${JSON.stringify(named)} names ${fieldName}`,
            ).toBe(true);
            return;
          }
          accepted += 1;
          try {
            const { desiredState, rejected } = await api.platform.tenant.desiredState();
            expect(rejected).toEqual([]);
            const { data, files } = generateTenantConfig(asteriskInputOf(desiredState, deployment, (s) => openSecret(api.secretKey, s)));
            verifyTenantFiles(data, files);
            if (REACHES_ASTERISK.has(field.join("."))) expect(value).not.toMatch(/[\n\r;[\],${}#"'\\\s()]/);
          } finally {
            await cleanUp(c.procedure, input);
          }
        }),
        { numRuns: 60, seed: 20261128 },
      );
      expect(accepted).toBeLessThan(60);
    },
    60_000,
  );
});
