// Sign-up and sign-in against real Postgres: argon2id hashes, field errors, and the per-account
// and per-address limits on failed sign-ins.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authenticate, signUp } from "../src/server/auth/accounts.ts";
import { createThrottle } from "../src/server/auth/throttle.ts";
import { InputError } from "../src/server/errors.ts";
import { startConsoleHarness, type TConsoleHarness } from "./harness.ts";

let h: TConsoleHarness;
beforeAll(async () => {
  h = await startConsoleHarness();
});
afterAll(async () => {
  await h?.close();
});

const policy = { windowMs: 60_000, maxFailures: { account: 3, ip: 5 } };

describe("accounts", () => {
  it("signs up with an argon2id hash (never the password) and refuses a second account with the same email", async () => {
    const user = await signUp(h.db, { email: "  Ada@Example.TEST ", password: "correct horse battery", name: "Ada" });
    expect(user.email).toBe("ada@example.test");
    const row = await h.db.user.findUniqueOrThrow({ where: { id: user.id } });
    expect(row.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(row.passwordHash).not.toContain("correct horse");
    const again = await signUp(h.db, { email: "ada@example.test", password: "another password" }).catch((e) => e);
    expect(again).toBeInstanceOf(InputError);
    expect(again.issues).toEqual([{ path: "email", message: "an account with this email exists" }]);
  });

  it("names every bad field of a sign-up", async () => {
    const err = await signUp(h.db, { email: "not-an-email", password: "short", name: "a\nb" }).catch((e) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(err.issues.map((i: { path: string }) => i.path).sort()).toEqual(["email", "name", "password"]);
  });

  it("signs in with the right password, and not with a wrong one or an unknown email", async () => {
    const throttle = createThrottle(h.db, policy);
    await signUp(h.db, { email: "bob@example.test", password: "bob's long password" });
    const ok = await authenticate(h.db, throttle, { email: "BOB@example.test", password: "bob's long password" }, "10.0.0.1");
    expect(ok).toMatchObject({ ok: true, user: { email: "bob@example.test" } });
    expect(await authenticate(h.db, throttle, { email: "bob@example.test", password: "wrong" }, "10.0.0.1")).toEqual({
      ok: false,
      reason: "invalid",
    });
    expect(await authenticate(h.db, throttle, { email: "nobody@example.test", password: "x" }, "10.0.0.1")).toEqual({
      ok: false,
      reason: "invalid",
    });
  });

  it("locks an account after repeated failures — even the right password is refused until the window ends", async () => {
    const throttle = createThrottle(h.db, policy);
    await signUp(h.db, { email: "carol@example.test", password: "carol's long password" });
    for (let i = 0; i < 3; i++)
      expect((await authenticate(h.db, throttle, { email: "carol@example.test", password: `guess ${i}` }, `10.1.0.${i}`)).ok).toBe(false);
    const locked = await authenticate(h.db, throttle, { email: "carol@example.test", password: "carol's long password" }, "10.1.0.99");
    expect(locked).toMatchObject({ ok: false, reason: "locked" });
    if (locked.ok) throw new Error("unreachable");
    expect(locked.retryAt?.getTime()).toBeGreaterThan(Date.now() + 50_000);
  });

  it("locks an address that fails against many accounts", async () => {
    const throttle = createThrottle(h.db, policy);
    await signUp(h.db, { email: "dan@example.test", password: "dan's long password" });
    for (let i = 0; i < 5; i++) await authenticate(h.db, throttle, { email: `spray${i}@example.test`, password: "123456" }, "10.2.0.1");
    expect(await authenticate(h.db, throttle, { email: "dan@example.test", password: "dan's long password" }, "10.2.0.1")).toMatchObject({
      ok: false,
      reason: "locked",
    });
    // The same account from another address is fine: the lock was the address's.
    expect((await authenticate(h.db, throttle, { email: "dan@example.test", password: "dan's long password" }, "10.2.0.2")).ok).toBe(true);
  });
});
