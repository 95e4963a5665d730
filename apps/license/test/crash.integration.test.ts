// The service is killed with SIGKILL in the middle of a load and restarted while clients (the
// typed client, retrying with the same callId) keep sending: no call lost, none counted twice.
import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import type { TUsageUpdate } from "@dsai/contracts";
import { createLicenseClient } from "@dsai/license-client";
import { applyMigrations, createTestDatabase, freePort, startTestServer } from "@dsai/postgres";
import { afterAll, describe, expect, it } from "vitest";
import { createAdmin } from "../src/admin.ts";
import { LICENSE_MIGRATIONS_DIR } from "../src/database.ts";
import { createStore } from "../src/store.ts";

const main = new URL("../src/main.ts", import.meta.url).pathname;
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

function startService(env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", main], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "inherit"],
    });
    child.stdout?.on("data", (d: Buffer) => {
      if (d.toString().includes("listening")) resolve(child);
    });
    child.once("exit", (code) => reject(new Error(`service exited early (${code})`)));
  });
}

describe("License Service killed mid-load", () => {
  it("loses no call and counts none twice", async () => {
    const pg = await startTestServer();
    const db = await createTestDatabase(pg.adminUrl, "crash");
    cleanups.push(async () => {
      await db.close();
      await pg.stop();
    });
    await applyMigrations({ url: db.url, migrationsDir: LICENSE_MIGRATIONS_DIR });
    const store = createStore({ url: db.url, poolSize: 2 });
    cleanups.push(() => store.close());
    const admin = createAdmin(store);
    const license = await admin.createLicense({ name: "crash", seconds: 1_000_000 });
    const key = await admin.issueKey({ licenseId: license.id });

    const port = await freePort();
    const env = { LICENSE_DATABASE_URL: db.url, LICENSE_PORT: String(port), LICENSE_HOST: "127.0.0.1" };
    let service = await startService(env);
    cleanups.push(async () => {
      service.kill("SIGKILL");
    });
    const client = createLicenseClient({
      baseUrl: `http://127.0.0.1:${port}`,
      apiKey: key.token,
      timeoutMs: 2_000,
      retries: 10,
      backoffMs: 100,
    });

    const calls: TUsageUpdate[] = Array.from({ length: 400 }, (_, i) => ({
      callId: randomUUID(),
      seconds: 1 + (i % 300),
      startedAt: "2026-11-24T10:00:00Z",
      endedAt: "2026-11-24T10:10:00Z",
    }));
    let done = 0;
    let killed = false;
    let next = 0;
    const worker = async () => {
      while (next < calls.length) {
        const body = calls[next++] as TUsageUpdate;
        await client.update(license.id, body);
        done++;
        if (done === 120 && !killed) {
          killed = true;
          service.kill("SIGKILL");
          // Back after a pause, on the same port, while the other workers keep retrying.
          setTimeout(() => {
            void startService(env).then((s) => {
              service = s;
            });
          }, 700);
        }
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    expect(killed).toBe(true);
    expect(done).toBe(400);
    const spent = calls.reduce((s, c) => s + c.seconds, 0);
    expect((await store.getLicense(license.id))?.balanceSeconds).toBe(1_000_000 - spent);
    const { rows } = await store.pool.query("SELECT count(*)::int AS n FROM usage WHERE license_id = $1", [license.id]);
    expect(rows[0].n).toBe(400);
    expect((await store.verify()).mismatches).toEqual([]);
  }, 120_000);
});
