// Provisioning when things go wrong, for real: a failed apply reports tofu's diagnostics in
// words, leaves a state the next apply converges from and that destroy fully cleans; a Docker
// engine or a Kubernetes API server that is not there is a clear error within seconds, not a
// hang. And the Postgres state backend: a tenant's state in its own schema, nothing on disk.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestDatabase, freePort, startTestServer } from "@dsai/postgres";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildAppImages, buildPostgresImage } from "../../../scripts/images.ts";
import { createProvisioner, stateSchemaOf } from "../src/provisioner/provisioner.ts";
import { loadToolchain } from "../src/toolchain.ts";
import { sampleDeployment, sampleDesiredState } from "../testing/samples.ts";

const toolchain = loadToolchain();
const scratch = mkdtempSync(join(tmpdir(), "dsai-provisioner-failures-"));
const lines = (text: string) => text.split("\n").filter(Boolean);
const leftovers = (slug: string) =>
  ["ps --all", "network ls", "volume ls"].flatMap((cmd) =>
    lines(execFileSync("docker", [...cmd.split(" "), "--filter", `label=dsai.tenant=${slug}`, "--quiet"], { encoding: "utf8" })),
  );

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("provisioning when things go wrong", () => {
  let images: { core: string; postgres: string; providers: string };
  beforeAll(async () => {
    const apps = await buildAppImages();
    images = { core: apps.core, providers: apps.providers, postgres: await buildPostgresImage() };
  }, 900_000);

  it("reports a failed apply in words, converges on the next apply, and destroy cleans everything", async () => {
    const slug = `fail${randomBytes(2).toString("hex")}`;
    const provisioner = createProvisioner({ stateRoot: join(scratch, "state"), toolchain, timeoutMs: 180_000 });
    const port = await freePort();
    const input = (core: string) => ({
      desiredState: sampleDesiredState(slug, { providersImage: images.providers }),
      deployment: sampleDeployment({
        asteriskConfDir: join(scratch, "asterisk"),
        images: { core, postgres: images.postgres },
        publishCoreHttpOn: port,
      }),
    });
    const error = (await provisioner.apply(input("dsai/no-such-core:0")).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toMatch(/dsai\/no-such-core:0/);
    const converged = await provisioner.apply(input(images.core));
    expect(converged.plan.hasChanges).toBe(true);
    expect(await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()).toEqual({ ok: true });
    await provisioner.destroy(slug);
    expect(leftovers(slug)).toEqual([]);
  }, 600_000);

  it("says so within seconds when the Docker engine is not there", async () => {
    const provisioner = createProvisioner({
      stateRoot: join(scratch, "state"),
      toolchain,
      env: { DOCKER_HOST: `unix://${join(scratch, "no-docker.sock")}` },
    });
    const started = Date.now();
    const error = (await provisioner
      .apply({
        desiredState: sampleDesiredState("nodocker", { status: "suspended" }),
        deployment: sampleDeployment({ asteriskConfDir: join(scratch, "asterisk") }),
      })
      .catch((e: unknown) => e)) as Error;
    expect(error.message).toMatch(/docker/i);
    expect(error.message).toMatch(/no-docker\.sock|connect|daemon/i);
    expect(Date.now() - started).toBeLessThan(60_000);
  }, 120_000);

  it("says so within seconds when the Kubernetes API server is not there", async () => {
    const closed = await freePort();
    const provisioner = createProvisioner({
      stateRoot: join(scratch, "state"),
      toolchain,
      target: { kind: "kubernetes", cluster: { host: `https://127.0.0.1:${closed}`, token: "t", insecure: true, waitForRollout: false } },
    });
    const started = Date.now();
    const error = (await provisioner
      .apply({ desiredState: sampleDesiredState("nokube"), deployment: sampleDeployment({ asteriskConfDir: join(scratch, "asterisk") }) })
      .catch((e: unknown) => e)) as Error;
    expect(error.message).toMatch(new RegExp(`127\\.0\\.0\\.1:${closed}|connection refused`, "i"));
    expect(Date.now() - started).toBeLessThan(60_000);
  }, 120_000);
});

describe("the Postgres state backend", () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeAll(async () => {
    server = await startTestServer();
    database = await createTestDatabase(server.adminUrl, "tofu_state");
  }, 120_000);
  afterAll(async () => {
    await database?.close();
    await server?.stop();
  });

  it("keeps each tenant's state in its own schema, none on disk, and destroys from it", async () => {
    const slug = `pgst${randomBytes(2).toString("hex")}`;
    const stateRoot = join(scratch, "pg-state");
    const provisioner = createProvisioner({
      stateRoot,
      toolchain,
      stateBackend: { kind: "pg", connectionString: `${database.url}?sslmode=disable` },
    });
    const input = {
      desiredState: sampleDesiredState(slug, { status: "suspended" }),
      deployment: sampleDeployment({ asteriskConfDir: join(scratch, "asterisk") }),
    };
    await provisioner.apply(input);
    expect(readdirSync(provisioner.workDirOf(slug))).not.toContain("terraform.tfstate");
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const { rows } = await client.query(`SELECT count(*)::int AS n FROM ${stateSchemaOf(slug)}.states`);
      expect(rows[0]?.n).toBe(1);
    } finally {
      await client.end();
    }
    expect((await provisioner.plan(input)).hasChanges).toBe(false);
    await provisioner.destroy(slug);
    expect(leftovers(slug)).toEqual([]);
    expect(existsSync(provisioner.workDirOf(slug))).toBe(false);
  }, 300_000);
});
