// API keys of DSAI: `<prefix><key id>_<secret>`, e.g. `dsai_lk_…` (License Service) or
// `dsai_tk_…` (a tenant's API). The key id (12 random base62 characters) finds the row; the
// secret (32 random bytes) is stored only as its SHA-256 and compared in constant time. SHA-256
// fits here (unlike passwords) because the secret has 256 bits of entropy.
import { createHash, randomBytes, randomInt, randomUUID, timingSafeEqual } from "node:crypto";

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

export type TNewApiKey = { id: string; keyId: string; secretHash: string; token: string };

export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

export function apiKeyFormat(prefix: string) {
  if (!/^[a-z]+_[a-z]{2}_$/.test(prefix)) throw new Error(`bad key prefix ${prefix}`);
  const pattern = new RegExp(`^${prefix}([0-9A-Za-z]{12})_([A-Za-z0-9_-]{43})$`);
  return {
    prefix,
    create(): TNewApiKey {
      const keyId = Array.from({ length: 12 }, () => BASE62[randomInt(62)]).join("");
      const secret = randomBytes(32).toString("base64url");
      return { id: randomUUID(), keyId, secretHash: hashSecret(secret), token: `${prefix}${keyId}_${secret}` };
    },
    /** Splits a presented token; undefined when it is not shaped like one of these keys at all. */
    parse(token: string): { keyId: string; secret: string } | undefined {
      const m = pattern.exec(token);
      return m ? { keyId: m[1] as string, secret: m[2] as string } : undefined;
    },
  };
}

export function secretMatches(secret: string, storedHash: string): boolean {
  const presented = Buffer.from(hashSecret(secret), "hex");
  const stored = Buffer.from(storedHash, "hex");
  return presented.length === stored.length && timingSafeEqual(presented, stored);
}
