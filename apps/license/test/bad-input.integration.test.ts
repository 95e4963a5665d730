// Bad input never causes a 5xx and never changes the ledger; each answer names the field.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, json, newLicense, startHarness, type THarness, usage } from "./helpers.ts";

let h: THarness;
let lic: Awaited<ReturnType<typeof newLicense>>;
beforeAll(async () => {
  h = await startHarness();
  lic = await newLicense(h, 10_000);
});
afterAll(async () => {
  await h?.close();
});

const ledgerSnapshot = async () =>
  (await h.server.store.pool.query("SELECT count(*)::int AS n, COALESCE(sum(delta_seconds), 0)::bigint AS s FROM ledger_entry")).rows[0];

describe("bad input", () => {
  it.each([
    ["non-uuid callId", usage("not-a-uuid", 10), "callId"],
    ["negative seconds", usage(randomUUID(), -1), "seconds"],
    ["fractional seconds", usage(randomUUID(), 1.5), "seconds"],
    ["absurd seconds (> 24 h)", usage(randomUUID(), 86_401), "seconds"],
    ["seconds as a string", usage(randomUUID(), "10" as unknown as number), "seconds"],
    ["missing callId", { seconds: 1, startedAt: "2026-11-24T10:00:00Z", endedAt: "2026-11-24T10:00:01Z" }, "callId"],
    ["unknown field", usage(randomUUID(), 1, { price: 3 }), "price"],
    ["bad date", usage(randomUUID(), 1, { startedAt: "yesterday" }), "startedAt"],
    ["end before start", usage(randomUUID(), 1, { endedAt: "2026-11-24T09:00:00Z" }), "endedAt"],
  ])("%s -> 400 naming the field", async (_name, body, field) => {
    const res = await call(h, "POST", `/license/${lic.license.id}/update`, lic.token, body);
    expect(res.status).toBe(400);
    const b = await json(res);
    expect(b.error.field).toContain(field);
  });

  it("rejects a body that is not JSON, an empty body and a malformed id with 400", async () => {
    expect((await call(h, "POST", `/license/${lic.license.id}/update`, lic.token, undefined, "{not json")).status).toBe(400);
    expect((await call(h, "POST", `/license/${lic.license.id}/update`, lic.token, undefined, "")).status).toBe(400);
    const badId = await call(h, "GET", "/license/123/credits", lic.token);
    expect(badId.status).toBe(400);
    expect((await json(badId)).error.field).toBe("id");
  });

  it("rejects a body over 16 KiB with 413", async () => {
    const res = await call(
      h,
      "POST",
      `/license/${lic.license.id}/update`,
      lic.token,
      undefined,
      JSON.stringify({ pad: "x".repeat(17_000) }),
    );
    expect(res.status).toBe(413);
  });

  it("fuzz: thousands of random bodies and paths get no 5xx and leave the ledger unchanged", async () => {
    const before = await ledgerSnapshot();
    let seed = 1234567;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const atoms = [
      "",
      "null",
      "true",
      "-1",
      "1e309",
      "0.5",
      '"x"',
      "[]",
      "{}",
      '{"callId":',
      "\u0000",
      "💥",
      "%",
      "../",
      "{{",
      "]]",
      '"\\u0000"',
    ];
    const keys = ["callId", "seconds", "startedAt", "endedAt", "agentId", "__proto__", "constructor", "x"];
    const values = [randomUUID(), "not-uuid", 1, -5, 1.25, 99_999_999, null, true, [], {}, "2026-11-24T10:00:00Z", "x".repeat(300)];
    const paths = [
      `/license/${lic.license.id}/update`,
      `/license/${lic.license.id}/reserve`,
      `/license/${lic.license.id}/credits`,
      "/license/%ZZ/update",
      "/license//update",
      `/license/${lic.license.id}/../credits`,
      "/trpc/createLicense",
      `/license/${"a".repeat(2000)}/update`,
      "/nothing",
    ];
    const statuses = new Map<number, number>();
    const tasks = Array.from({ length: 3000 }, () => {
      const path = paths[rand(paths.length)] as string;
      let raw: string;
      if (rand(3) === 0) {
        raw = Array.from({ length: rand(6) }, () => atoms[rand(atoms.length)]).join("");
      } else {
        const body: Record<string, unknown> = {};
        for (let k = 0; k < rand(6); k++) body[keys[rand(keys.length)] as string] = values[rand(values.length)];
        raw = JSON.stringify(body);
      }
      const method = rand(5) === 0 ? "GET" : "POST";
      return async () => {
        const res = await fetch(`${h.url}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${rand(10) === 0 ? "garbage" : lic.token}`,
            "content-type": rand(8) === 0 ? "text/plain" : "application/json",
          },
          body: method === "GET" ? undefined : raw,
        });
        await res.arrayBuffer();
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      };
    });
    for (let i = 0; i < tasks.length; i += 50) await Promise.all(tasks.slice(i, i + 50).map((t) => t()));
    const fiveXX = [...statuses].filter(([s]) => s >= 500);
    expect(fiveXX).toEqual([]);
    // Random valid-looking bodies can be real usage: only exactly-valid ones may apply, and
    // the fuzz bodies above never carry all four required fields with valid values at once.
    expect(await ledgerSnapshot()).toEqual(before);
    expect((await h.server.store.verify()).mismatches).toEqual([]);
  }, 120_000);
});
