// A tenant's desired state and deployment as the provisioner would pass them: valid, shaped like
// a real tenant, with its secrets sealed under a fixed test key.
import { GENERATOR_VERSION, sealSecret, type TTenantDesiredStateInput } from "@dsai/contracts";
import type { TTenantDeployment } from "../src/tenant/options.ts";

export const TEST_SECRET_KEY = Buffer.alloc(32, 7).toString("base64");
const key = Buffer.from(TEST_SECRET_KEY, "base64");

export const PROFILES = {
  asr: "11111111-1111-4111-8111-111111111111",
  llm: "22222222-2222-4222-8222-222222222222",
  tts: "33333333-3333-4333-8333-333333333333",
};

export function sampleDesiredState(
  slug: string,
  o: { status?: "active" | "suspended"; providersImage?: string } = {},
): TTenantDesiredStateInput {
  const image = o.providersImage ?? "dsai/providers:test";
  return {
    generatorVersion: GENERATOR_VERSION,
    slug,
    status: o.status ?? "active",
    providerProfiles: [
      {
        id: PROFILES.asr,
        name: "PocketSphinx",
        kind: "asr",
        runtime: { type: "image", image, port: 8080, args: ["asr"], env: { ASR_PHRASES: "goodbye" } },
      },
      { id: PROFILES.llm, name: "Scripted", kind: "llm", runtime: { type: "image", image, port: 8080, args: ["llm-scripted"] } },
      { id: PROFILES.tts, name: "External TTS", kind: "tts", runtime: { type: "url", url: "https://tts.example.com" } },
    ],
    agents: [{ id: "support", name: "Support", profiles: PROFILES, greeting: "Hello!" }],
    numbers: [
      { number: "+15551000", agentId: "support", record: true },
      { number: "1000", agentId: "support" },
    ],
    trunks: [
      { id: "carrier", mode: "registration", host: "sip.example.net", username: "acme", password: sealSecret(key, "trunk-pass-123456") },
    ],
    phones: [{ id: "alice", extension: "200", password: sealSecret(key, "phone-pass-123456") }],
  };
}

export function sampleDeployment(o: {
  asteriskConfDir: string;
  images?: { core: string; postgres: string };
  publishCoreHttpOn?: number;
}): TTenantDeployment {
  return {
    baseDomain: "dsai.localhost",
    images: o.images ?? { core: "dsai/core:test", postgres: "dsai/postgres:test" },
    asteriskConfDir: o.asteriskConfDir,
    platformContainers: [],
    edgeAliases: {},
    ...(o.publishCoreHttpOn !== undefined && { publishCoreHttpOn: o.publishCoreHttpOn }),
    secrets: {
      tenantToken: "t".repeat(40),
      secretKey: TEST_SECRET_KEY,
      platformSecret: "p".repeat(40),
      databasePassword: "d".repeat(32),
    },
    license: {
      url: "http://license.dsai.localhost:7400",
      id: "44444444-4444-4444-8444-444444444444", // A base64url secret may hold "-" and "_": the sample has both.
      key: `dsai_lk_${"k".repeat(12)}_${"k-_".repeat(14)}k`,
    },
    limits: { coreMemoryMiB: 512, providerMemoryMiB: 512, databaseMemoryMiB: 256, cpus: 1 },
  };
}
