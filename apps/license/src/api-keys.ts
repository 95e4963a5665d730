// License API keys: `dsai_lk_<key id>_<secret>`. The key id (12 random base62 characters) finds
// the row; the secret (32 random bytes) is stored only as its SHA-256 and compared in constant
// time. SHA-256 fits here (unlike passwords) because the secret has 256 bits of entropy.
import { createHash, randomBytes, randomInt, randomUUID, timingSafeEqual } from "node:crypto";

export const KEY_PREFIX = "dsai_lk_";
const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const KEY_PATTERN = /^dsai_lk_([0-9A-Za-z]{12})_([A-Za-z0-9_-]{43})$/;

export type TNewApiKey = { id: string; keyId: string; secretHash: string; token: string };

export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

export function newApiKey(): TNewApiKey {
  const keyId = Array.from({ length: 12 }, () => BASE62[randomInt(62)]).join("");
  const secret = randomBytes(32).toString("base64url");
  return { id: randomUUID(), keyId, secretHash: hashSecret(secret), token: `${KEY_PREFIX}${keyId}_${secret}` };
}

/** Splits a presented token; undefined when it is not shaped like a license key at all. */
export function parseApiKey(token: string): { keyId: string; secret: string } | undefined {
  const m = KEY_PATTERN.exec(token);
  return m ? { keyId: m[1] as string, secret: m[2] as string } : undefined;
}

export function secretMatches(secret: string, storedHash: string): boolean {
  const presented = Buffer.from(hashSecret(secret), "hex");
  const stored = Buffer.from(storedHash, "hex");
  return presented.length === stored.length && timingSafeEqual(presented, stored);
}
