// Secrets at rest in a tenant database (provider API keys, webhook signing secrets, SIP trunk and
// phone passwords): AES-256-GCM with the tenant's 32-byte key (CORE_SECRET_KEY of its core,
// base64; the platform holds it too, to open trunk and phone passwords when it writes the
// tenant's Asterisk files), a random 12-byte nonce per value, stored as
// `v1.<nonce>.<tag>.<ciphertext>` (base64url). The version prefix leaves room for key rotation.
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

export class SecretBoxError extends Error {}

export function parseSecretKey(base64: string): Buffer {
  const key = Buffer.from(base64, "base64");
  if (key.length !== 32) throw new SecretBoxError("CORE_SECRET_KEY must be 32 bytes, base64-encoded (e.g. `openssl rand -base64 32`)");
  return key;
}

export function sealSecret(key: Buffer, plaintext: string): string {
  const nonce = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, nonce);
  const data = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return ["v1", nonce, cipher.getAuthTag(), data].map((p) => (typeof p === "string" ? p : p.toString("base64url"))).join(".");
}

export function openSecret(key: Buffer, sealed: string): string {
  const [version, nonce, tag, data] = sealed.split(".");
  if (version !== "v1" || !nonce || !tag || data === undefined) throw new SecretBoxError("not a sealed secret");
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(nonce, "base64url"));
    decipher.setAuthTag(Buffer.from(tag, "base64url"));
    return Buffer.concat([decipher.update(Buffer.from(data, "base64url")), decipher.final()]).toString("utf8");
  } catch {
    throw new SecretBoxError("the secret does not open with this key (wrong CORE_SECRET_KEY, or tampered)");
  }
}
