// Who calls the tenant API: a tenant API key (`dsai_tk_…`, hashed in the tenant database) or
// the platform, with a short-lived service token it signs with the secret it shares with this
// core (CORE_PLATFORM_SECRET): `dsai_st.<payload>.<HMAC-SHA256(secret, payload)>`, base64url,
// payload `{ "sub": "platform", "exp": <unix s> }`.
import { createHmac, timingSafeEqual } from "node:crypto";
import { apiKeyFormat, secretMatches } from "@dsai/api-keys";
import type pg from "pg";

export const TENANT_KEYS = apiKeyFormat("dsai_tk_");

export type TPrincipal = { kind: "api_key"; keyId: string } | { kind: "platform" };

const sign = (secret: string, payload: string) => createHmac("sha256", secret).update(payload).digest("base64url");

/** Used by the platform (and tests): a service token valid for `ttlSeconds`. */
export function signServiceToken(secret: string, ttlSeconds = 300, now = Date.now()): string {
  const payload = Buffer.from(JSON.stringify({ sub: "platform", exp: Math.floor(now / 1000) + ttlSeconds })).toString("base64url");
  return `dsai_st.${payload}.${sign(secret, payload)}`;
}

export function verifyServiceToken(secret: string | undefined, token: string, now = Date.now()): boolean {
  if (!secret) return false;
  const [kind, payload, signature] = token.split(".");
  if (kind !== "dsai_st" || !payload || !signature) return false;
  const expected = Buffer.from(sign(secret, payload));
  const presented = Buffer.from(signature);
  if (expected.length !== presented.length || !timingSafeEqual(expected, presented)) return false;
  try {
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString()) as { sub?: unknown; exp?: unknown };
    return claims.sub === "platform" && typeof claims.exp === "number" && claims.exp * 1000 > now;
  } catch {
    return false;
  }
}

export async function authenticate(
  pool: pg.Pool,
  platformSecret: string | undefined,
  header: string | undefined,
): Promise<TPrincipal | undefined> {
  const token = header?.startsWith("Bearer ") ? header.slice(7).trim() : "";
  if (token.startsWith("dsai_st.")) return verifyServiceToken(platformSecret, token) ? { kind: "platform" } : undefined;
  const parts = TENANT_KEYS.parse(token);
  if (!parts) return undefined;
  const { rows } = await pool.query<{ secretHash: string }>(
    'UPDATE api_key SET last_used_at = now() WHERE key_id = $1 AND revoked_at IS NULL RETURNING secret_hash AS "secretHash"',
    [parts.keyId],
  );
  const row = rows[0];
  return row && secretMatches(parts.secret, row.secretHash) ? { kind: "api_key", keyId: parts.keyId } : undefined;
}
