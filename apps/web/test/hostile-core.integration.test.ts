// A tenant's core is the tenant's: compromised, it may answer anything. The worker plans a
// change only from a desired state that names the tenant it asked — never another tenant's slug,
// which the provisioner would use for that tenant's folder, stack and Asterisk files — and reads
// no unbounded answer, and no more provider containers than the operator allows. The core here is a faithful protocol peer of the tenant API (tRPC over
// HTTP, the `tenant.desiredState` query) that answers what a hostile tenant would; the platform
// database, the worker's executor and the provisioner are the real ones.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GENERATOR_VERSION } from "@dsai/contracts";
import { createProvisioner, loadToolchain } from "@dsai/stacks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLicenseAdmin } from "../src/server/license/admin-client.ts";
import { MAX_CORE_ANSWER_BYTES } from "../src/server/tenant-core/host-fetch.ts";
import { newTenantSecrets, sealJson } from "../src/server/tenants/secrets.ts";
import { parseWorkerConfig } from "../src/worker/config.ts";
import { createRunExecutor } from "../src/worker/executor.ts";
import { startConsoleHarness, type TConsoleHarness, TEST_PLATFORM_KEY } from "./harness.ts";

const scratch = mkdtempSync(join(tmpdir(), "dsai-hostile-core-"));
const stateRoot = join(scratch, "state");

/** The tenant API's `tenant.desiredState` query as tRPC's HTTP link reads it; `answer` is the hostile core's reply. */
function startHostileCore(answer: () => string): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    if (!req.url?.startsWith("/trpc/tenant.desiredState")) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": "application/json" }).end(answer());
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server })),
  );
}

describe("a hostile tenant core", () => {
  let h: TConsoleHarness;
  let core: { url: string; server: Server };
  let reply = "";

  beforeAll(async () => {
    h = await startConsoleHarness();
    core = await startHostileCore(() => reply);
  }, 120_000);

  afterAll(async () => {
    core?.server.close();
    await h?.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  /** An active tenant with its secrets (so the worker can ask its core), and a change of it waiting to be planned. */
  async function tenantWithPlannedChange() {
    const owner = await h.make.user();
    const tenant = await h.make.tenant({ members: [{ userId: owner.id, role: "owner" }] });
    await h.db.tenant.update({ where: { id: tenant.id }, data: { secretsSealed: sealJson(TEST_PLATFORM_KEY, newTenantSecrets()) } });
    const run = await h.db.provisioningRun.create({ data: { tenantId: tenant.id, action: "update", requestedById: owner.id } });
    return { tenant, run };
  }

  /** `byHost`: the core is reached as through Traefik (a Host header, the local platform), else by its URL (Kubernetes). */
  function executor(byHost = true) {
    return createRunExecutor({
      db: h.db,
      log: () => {},
      cores: { endpoint: (slug, domain) => ({ url: core.url, ...(byHost && { host: `${slug}.${domain}` }) }) },
      provisioner: createProvisioner({ stateRoot, toolchain: loadToolchain() }),
      // Never reached: nothing is provisioned from a refused answer (a closed port on loopback).
      license: createLicenseAdmin({ url: "http://127.0.0.1:9", adminToken: "a".repeat(32) }),
      config: parseWorkerConfig({
        databaseUrl: h.databaseUrl,
        secretKey: TEST_PLATFORM_KEY.toString("base64"),
        baseDomain: "dsai.localhost",
        stateRoot,
        images: { core: "dsai/core:test", postgres: "dsai/postgres:test" },
        asteriskConfDir: join(scratch, "asterisk"),
        platformContainers: [],
        license: { adminUrl: "http://127.0.0.1:9", adminToken: "a".repeat(32), urlForCores: "http://license.dsai.localhost" },
      }),
    });
  }

  it("answering another tenant's slug gets nothing planned: the run fails, saying so, and no folder of either tenant is made", async () => {
    const victim = await h.make.tenant({ members: [] });
    const { tenant, run } = await tenantWithPlannedChange();
    const stolen = { generatorVersion: GENERATOR_VERSION, slug: victim.slug, status: "active" };
    reply = JSON.stringify({ result: { data: { desiredState: stolen, rejected: [] } } });

    await executor().drainTenant(tenant.id);

    const after = await h.db.provisioningRun.findUniqueOrThrow({ where: { id: run.id } });
    expect(after.status).toBe("failed");
    expect(after.error).toMatch(/desired state of another tenant: refused, nothing was planned/);
    expect(after.error).not.toContain(victim.slug);
    expect(after.desiredState).toBeNull();
    expect(existsSync(join(stateRoot, victim.slug))).toBe(false);
    expect(existsSync(join(stateRoot, tenant.slug))).toBe(false);
  }, 60_000);

  it("asking for more provider containers than the operator allows gets nothing planned, and the tenant stays active to correct it", async () => {
    const { tenant, run } = await tenantWithPlannedChange();
    const providerProfiles = Array.from({ length: 9 }, (_, i) => ({
      id: `00000000-0000-4000-8000-00000000000${i}`,
      name: `Provider ${i}`,
      kind: "tts",
      runtime: { type: "image", image: "dsai/providers:test", port: 8080, args: ["tts"] },
    }));
    reply = JSON.stringify({
      result: {
        data: {
          desiredState: { generatorVersion: GENERATOR_VERSION, slug: tenant.slug, status: "active", providerProfiles },
          rejected: [],
        },
      },
    });

    await executor().drainTenant(tenant.id);

    const after = await h.db.provisioningRun.findUniqueOrThrow({ where: { id: run.id } });
    expect(after.status).toBe("failed");
    expect(after.error).toContain("providerProfiles: 9 provider profiles run as images: this platform runs at most 8 per tenant");
    expect((await h.db.tenant.findUniqueOrThrow({ where: { id: tenant.id } })).status).toBe("active");
    expect(existsSync(join(stateRoot, tenant.slug))).toBe(false);
  }, 60_000);

  it.each([
    ["by host name", true],
    ["by URL", false],
  ])(
    "answering more than the platform reads (%s) fails the run without holding the answer",
    async (_how, byHost) => {
      const { tenant, run } = await tenantWithPlannedChange();
      const padding = "x".repeat(MAX_CORE_ANSWER_BYTES);
      reply = JSON.stringify({ result: { data: { desiredState: { slug: tenant.slug, padding }, rejected: [] } } });

      await executor(byHost).drainTenant(tenant.id);

      const after = await h.db.provisioningRun.findUniqueOrThrow({ where: { id: run.id } });
      expect(after.status).toBe("failed");
      expect(after.error).toMatch(/larger than 16 MiB/);
      expect(existsSync(join(stateRoot, tenant.slug))).toBe(false);
    },
    60_000,
  );
});
