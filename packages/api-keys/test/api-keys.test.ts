import { describe, expect, it } from "vitest";
import { apiKeyFormat, hashSecret, secretMatches } from "../src/index.ts";

describe("API keys", () => {
  const license = apiKeyFormat("dsai_lk_");
  const tenant = apiKeyFormat("dsai_tk_");

  it("are random, prefixed by kind, and found again only by their own kind", () => {
    const a = license.create();
    const b = license.create();
    expect(a.token).toMatch(/^dsai_lk_[0-9A-Za-z]{12}_[A-Za-z0-9_-]{43}$/);
    expect(a.token).not.toBe(b.token);
    expect(license.parse(a.token)).toEqual({ keyId: a.keyId, secret: a.token.slice(21) });
    expect(tenant.parse(a.token)).toBeUndefined();
    expect(license.parse(`${a.token}x`)).toBeUndefined();
  });

  it("are stored as a hash and checked against it", () => {
    const k = tenant.create();
    const parts = tenant.parse(k.token);
    expect(k.secretHash).toBe(hashSecret(parts?.secret ?? ""));
    expect(k.secretHash).not.toContain(parts?.secret ?? "-");
    expect(secretMatches(parts?.secret ?? "", k.secretHash)).toBe(true);
    expect(secretMatches("wrong", k.secretHash)).toBe(false);
  });
});
