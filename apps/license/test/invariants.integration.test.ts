// Invariants under concurrency: no overspend, no double counting, ledger always agrees.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, newLicense, startHarness, type THarness, usage } from "./helpers.ts";

let h: THarness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}

/** Runs `tasks` with at most `width` in flight. */
async function inParallel(tasks: (() => Promise<void>)[], width: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < tasks.length) await (tasks[next++] as () => Promise<void>)();
    }),
  );
}

describe("License Service invariants", () => {
  it("2,000 concurrent updates over 50 licenses, 30% retried duplicates, in random order: balances exact, verify clean", async () => {
    const licenses = await Promise.all(Array.from({ length: 50 }, () => newLicense(h, 1_000_000)));
    const distinct: { l: (typeof licenses)[number]; body: Record<string, unknown> }[] = [];
    for (let i = 0; i < 1_400; i++) {
      const l = licenses[i % 50] as (typeof licenses)[number];
      distinct.push({ l, body: usage(randomUUID(), 1 + ((i * 37) % 600)) });
    }
    const duplicates = Array.from({ length: 600 }, (_, i) => distinct[(i * 7) % distinct.length] as (typeof distinct)[number]);
    const sends = shuffle([...distinct, ...duplicates]);
    let applied = 0;
    let dup = 0;
    await inParallel(
      sends.map(({ l, body }) => async () => {
        const res = await call(h, "POST", `/license/${l.license.id}/update`, l.token, body);
        expect(res.status).toBe(200);
        const r = (await res.json()) as { applied: boolean; duplicate: boolean };
        if (r.applied) applied++;
        if (r.duplicate) dup++;
      }),
      64,
    );
    expect(applied).toBe(1_400);
    expect(dup).toBe(600);
    for (const l of licenses) {
      const spent = distinct.filter((d) => d.l === l).reduce((s, d) => s + (d.body.seconds as number), 0);
      expect((await h.server.store.getLicense(l.license.id))?.balanceSeconds).toBe(1_000_000 - spent);
    }
    expect(await h.server.store.verify()).toEqual({ licenses: expect.any(Number), mismatches: [] });
  }, 120_000);

  it("100 concurrent reservations against credit for 10: exactly 10 succeed", async () => {
    const { license, token } = await newLicense(h, 600);
    const statuses = await Promise.all(
      Array.from(
        { length: 100 },
        async () => (await call(h, "POST", `/license/${license.id}/reserve`, token, { callId: randomUUID(), seconds: 60 })).status,
      ),
    );
    expect(statuses.filter((s) => s === 200)).toHaveLength(10);
    expect(statuses.filter((s) => s === 402)).toHaveLength(90);
    expect(await h.server.store.getLicense(license.id)).toMatchObject({ balanceSeconds: 600, reservedSeconds: 600 });
    expect((await h.server.store.verify()).mismatches).toEqual([]);
  }, 60_000);

  it("the same call reported concurrently 20 times is counted once", async () => {
    const { license, token } = await newLicense(h, 1000);
    const body = usage(randomUUID(), 42);
    const results = await Promise.all(
      Array.from({ length: 20 }, async () => (await call(h, "POST", `/license/${license.id}/update`, token, body)).json()),
    );
    expect(results.filter((r) => (r as { applied: boolean }).applied)).toHaveLength(1);
    expect(results.filter((r) => (r as { duplicate: boolean }).duplicate)).toHaveLength(19);
    expect((await h.server.store.getLicense(license.id))?.balanceSeconds).toBe(958);
  });
});
