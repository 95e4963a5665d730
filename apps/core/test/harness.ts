// A whole tenant in one process for tests: real embedded Postgres (tenant and license
// databases), the real License Service, the real offline providers (espeak-ng, PocketSphinx,
// scripted LLM) and the core, all on 127.0.0.1 with ports chosen by the OS.
import { randomBytes } from "node:crypto";
import { createLicenseServer, LICENSE_MIGRATIONS_DIR } from "@dsai/license";
import { applyMigrations, createTestDatabase, freePort, startTestServer } from "@dsai/postgres";
import {
  startAsrService,
  startScriptedLlmService,
  startTtsService,
  type TService,
  ZAsrConfigSchema,
  ZScriptSchema,
  ZTtsConfigSchema,
} from "@dsai/providers";
import pg from "pg";
import { readCoreConfig } from "../src/config.ts";
import { createCore, type TCore } from "../src/core.ts";
import { migrateTenantDatabase } from "../src/database.ts";

export { freePort };

export const PHRASES = ["what are your opening hours", "what is the price", "goodbye", "i want to talk to a person"];
export const SCRIPT = ZScriptSchema.parse({
  agents: {
    support: {
      intents: [
        { name: "hours", keywords: ["opening hours"], reply: "We are open from nine to five, Monday to Friday. Anything else?" },
        { name: "price", keywords: ["price"], reply: "It costs ten euros a month." },
        { name: "person", keywords: ["person", "dtmf 0"], reply: "Let me put you through.", tool: "transfer", target: "200" },
        { name: "bye", keywords: ["goodbye"], reply: "Thank you for calling. Goodbye!", tool: "hangup" },
      ],
      fallback: "Sorry, could you say that again?",
    },
  },
});
export const GREETING = "Hello, this is Acme support. How can I help?";
export const TOKEN = randomBytes(24).toString("hex");

export type TTenantHarness = {
  /** The in-process core (absent with `core: "none"`, where tests spawn their own from coreEnv). */
  core: TCore;
  coreEnv: Record<string, string>;
  tenantDb: pg.Pool;
  license: ReturnType<typeof createLicenseServer>;
  /** Stops the License Service (an outage); restartLicense brings it back on the same port. */
  restartLicense(): Promise<void>;
  licenseId: string;
  providers: { asr: TService; llm: TService; tts: TService };
  close(): Promise<void>;
};

export async function startTenant(
  options: { credits?: number; llm?: TService; env?: Record<string, string>; core?: "in-process" | "none" } = {},
): Promise<TTenantHarness> {
  const server = await startTestServer();
  const licenseDb = await createTestDatabase(server.adminUrl, "license");
  await applyMigrations({ url: licenseDb.url, migrationsDir: LICENSE_MIGRATIONS_DIR });
  const licenseOptions = {
    databaseUrl: licenseDb.url,
    host: "127.0.0.1",
    port: await freePort(),
    adminToken: undefined,
    reservationTtlSeconds: 3_600,
    rateLimit: { perSecond: 1_000, burst: 1_000 },
    poolSize: 5,
  };
  let license = createLicenseServer(licenseOptions);
  await license.start();
  const created = await license.admin.createLicense({ name: "Acme", seconds: options.credits ?? 3_600 });
  const key = await license.admin.issueKey({ licenseId: created.id });

  const loopback = { host: "127.0.0.1", port: 0 };
  const providers = {
    asr: await startAsrService(ZAsrConfigSchema.parse({ phrases: PHRASES }), loopback),
    llm: options.llm ?? (await startScriptedLlmService({ script: SCRIPT, chunkDelayMs: 10, wordsPerChunk: 3 }, loopback)),
    tts: await startTtsService(ZTtsConfigSchema.parse({}), loopback),
  };

  const tenant = await createTestDatabase(server.adminUrl, "tenant");
  const coreEnv = {
    CORE_DATABASE_URL: tenant.url,
    CORE_HTTP_PORT: "0",
    CORE_AUDIOSOCKET_PORT: "0",
    CORE_TENANT_TOKEN: TOKEN,
    CORE_LICENSE_URL: license.url,
    CORE_LICENSE_ID: created.id,
    CORE_LICENSE_KEY: key.token,
    CORE_OUTBOX_SWEEP_MS: "500",
    // The tenant's providers are URL-type profiles on loopback, which a core refuses by default.
    CORE_PROVIDERS_ALLOW_INTERNAL: "true",
    ...options.env,
  };
  const inProcess = (options.core ?? "in-process") === "in-process";
  // With core "none" the test runs its own core process(es); nothing is created here for it.
  const core = inProcess ? createCore(readCoreConfig(coreEnv)) : undefined;
  if (core) await core.start();
  else await migrateTenantDatabase(tenant.url);
  const tenantDb = new pg.Pool({ connectionString: tenant.url, max: 2 });
  const profile = async (name: string, kind: string, url: string) =>
    (
      await tenantDb.query<{ id: string }>(
        "INSERT INTO provider_profile (id, name, kind, url) VALUES (gen_random_uuid(), $1, $2, $3) RETURNING id",
        [name, kind, url],
      )
    ).rows[0]?.id;
  await tenantDb.query(
    "INSERT INTO agent (id, name, greeting, asr_profile_id, llm_profile_id, tts_profile_id) VALUES ('support', 'Support', $1, $2, $3, $4)",
    [
      GREETING,
      await profile("asr", "asr", providers.asr.url),
      await profile("llm", "llm", providers.llm.url),
      await profile("tts", "tts", providers.tts.url),
    ],
  );

  return {
    get core() {
      if (!core) throw new Error('this harness runs no in-process core (core: "none")');
      return core;
    },
    coreEnv,
    tenantDb,
    get license() {
      return license;
    },
    async restartLicense() {
      await license.stop().catch(() => {});
      license = createLicenseServer(licenseOptions);
      await license.start();
    },
    licenseId: created.id,
    providers,
    async close() {
      await core?.stop();
      await tenantDb.end();
      await Promise.all(Object.values(providers).map((p) => p.close()));
      await license.stop();
      await tenant.close();
      await licenseDb.close();
      await server.stop();
    },
  };
}

/** How a simulated call reaches the harness's in-process core, exactly as the dialplan would. */
export function callTarget(h: TTenantHarness, agent = "support") {
  return {
    coreHttpUrl: h.core.httpUrl,
    audioSocket: { host: "127.0.0.1", port: h.core.audioSocketPort },
    token: TOKEN,
    agent,
    number: "1000",
    caller: "15550100",
  };
}
