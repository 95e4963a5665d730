// `npm run bench:license`: 32 concurrent clients sending idempotent usage updates to the License
// Service (a separate process, over HTTP, with API-key auth), and in the same run the same
// transaction executed directly in SQL by 32 connections (no HTTP, no service) as the physical
// baseline. Rounds alternate service / direct; medians are reported.
import { randomUUID } from "node:crypto";
import { Agent, request } from "node:http";
import { createAdmin } from "../apps/license/src/admin.ts";
import { LICENSE_MIGRATIONS_DIR } from "../apps/license/src/database.ts";
import { createStore } from "../apps/license/src/store.ts";
import { applyMigrations, createTestDatabase, freePort, startTestServer } from "../packages/postgres/src/index.ts";
import { median, percentile, spawnUntil, writeResult } from "./lib.ts";

const CLIENTS = 32;
const ROUND_MS = 5_000;
const ROUNDS = 3;

const usageBody = () => ({ callId: randomUUID(), seconds: 60, startedAt: "2026-11-24T10:00:00Z", endedAt: "2026-11-24T10:01:00Z" });

/** Runs `one` in `CLIENTS` loops for `ms`; returns operations/s and latencies (ms). */
async function load(ms: number, one: (client: number) => Promise<void>): Promise<{ perSecond: number; latencies: number[] }> {
  const latencies: number[] = [];
  const deadline = performance.now() + ms;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, c) => {
      while (performance.now() < deadline) {
        const t = performance.now();
        await one(c);
        latencies.push(performance.now() - t);
      }
    }),
  );
  return { perSecond: latencies.length / ((performance.now() - started) / 1000), latencies };
}

async function main(): Promise<void> {
  const pg = await startTestServer();
  const db = await createTestDatabase(pg.adminUrl, "bench");
  await applyMigrations({ url: db.url, migrationsDir: LICENSE_MIGRATIONS_DIR });
  // Direct SQL gets the same pool size as the service: 32 connections for 32 clients.
  const store = createStore({ url: db.url, poolSize: CLIENTS });
  const admin = createAdmin(store);
  // One license and key per client, as tenants are: per-key rate limits stay out of the way.
  const tenants = await Promise.all(
    Array.from({ length: CLIENTS }, async (_, i) => {
      const license = await admin.createLicense({ name: `bench ${i}`, seconds: 100_000_000 });
      return { id: license.id, token: (await admin.issueKey({ licenseId: license.id })).token };
    }),
  );
  const port = await freePort();
  const { child: service } = await spawnUntil(
    ["apps/license/src/main.ts"],
    { LICENSE_DATABASE_URL: db.url, LICENSE_PORT: String(port), LICENSE_DB_POOL_SIZE: String(CLIENTS) },
    /listening/,
  );

  // node:http with keep-alive: the load generator shares the two cores with the service and
  // Postgres, and fetch() costs it several times more CPU per request.
  const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
  const viaService = (c: number) =>
    new Promise<void>((resolve, reject) => {
      const t = tenants[c] as { id: string; token: string };
      const body = JSON.stringify(usageBody());
      const req = request(
        {
          agent,
          host: "127.0.0.1",
          port,
          method: "POST",
          path: `/license/${t.id}/update`,
          headers: { authorization: `Bearer ${t.token}`, "content-type": "application/json", "content-length": Buffer.byteLength(body) },
        },
        (res) => {
          let text = "";
          res.on("data", (d: Buffer) => {
            text += d.toString();
          });
          res.on("end", () => (res.statusCode === 200 ? resolve() : reject(new Error(`service answered ${res.statusCode}: ${text}`))));
        },
      );
      req.on("error", reject);
      req.end(body);
    });
  // The same statement the service runs for an update (store.recordUsage), straight to Postgres.
  const direct = async (c: number) => {
    const outcome = await store.recordUsage((tenants[c] as { id: string }).id, usageBody(), "bench");
    if (outcome.kind !== "applied") throw new Error(`direct SQL: ${outcome.kind}`);
  };

  await load(1_500, viaService); // warm-up: JIT, connections, prepared statements
  await load(1_500, direct);
  const rounds: { service: number; direct: number; latencies: number[] }[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const s = await load(ROUND_MS, viaService);
    const d = await load(ROUND_MS, direct);
    rounds.push({ service: s.perSecond, direct: d.perSecond, latencies: s.latencies });
    process.stdout.write(
      `round ${r + 1}: service ${s.perSecond.toFixed(0)}/s (p99 ${percentile(s.latencies, 99).toFixed(1)} ms), direct SQL ${d.perSecond.toFixed(0)}/s\n`,
    );
  }
  service.kill("SIGTERM");
  const verify = await store.verify();
  await store.close();
  await db.close();
  await pg.stop();
  if (verify.mismatches.length > 0) throw new Error(`ledger mismatch after the benchmark: ${JSON.stringify(verify.mismatches[0])}`);

  const serviceRate = median(rounds.map((r) => r.service));
  const directRate = median(rounds.map((r) => r.direct));
  const p50 = median(rounds.map((r) => percentile(r.latencies, 50)));
  const p99 = median(rounds.map((r) => percentile(r.latencies, 99)));
  const file = writeResult(
    "license",
    {
      service_updates_per_s: { value: Math.round(serviceRate), unit: "updates/s" },
      direct_sql_updates_per_s: { value: Math.round(directRate), unit: "updates/s" },
      ratio_to_direct: { value: Number((serviceRate / directRate).toFixed(3)), unit: "ratio", target: ">= 0.5" },
      p50_ms: { value: Number(p50.toFixed(2)), unit: "ms" },
      p99_ms: { value: Number(p99.toFixed(2)), unit: "ms", target: "<= 25" },
    },
    `${CLIENTS} clients, ${ROUNDS} alternating rounds of ${ROUND_MS / 1000} s, medians; service, Postgres and load generator share the machine's cores; embedded Postgres 18`,
  );
  process.stdout.write(
    `service ${serviceRate.toFixed(0)}/s, direct SQL ${directRate.toFixed(0)}/s, ratio ${(serviceRate / directRate).toFixed(2)}, p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms -> ${file}\n`,
  );
}

await main();
