// How the platform calls a tenant core's tenant API: a short-lived service token it signs with
// the secret it shares with that core (CORE_PLATFORM_SECRET): `dsai_st.<payload>.<HMAC-SHA256
// (secret, payload)>`, base64url, payload `{ "sub": "platform", "exp": <unix s> }`.
import { createHmac, timingSafeEqual } from "node:crypto";

export const SERVICE_TOKEN_PREFIX = "dsai_st.";

const sign = (secret: string, payload: string) => createHmac("sha256", secret).update(payload).digest("base64url");

/** A service token valid for `ttlSeconds`. */
export function signServiceToken(secret: string, ttlSeconds = 300, now = Date.now()): string {
  const payload = Buffer.from(JSON.stringify({ sub: "platform", exp: Math.floor(now / 1000) + ttlSeconds })).toString("base64url");
  return `${SERVICE_TOKEN_PREFIX}${payload}.${sign(secret, payload)}`;
}

export function verifyServiceToken(secret: string | undefined, token: string, now = Date.now()): boolean {
  if (!secret) return false;
  const [kind, payload, signature] = token.split(".");
  if (`${kind}.` !== SERVICE_TOKEN_PREFIX || !payload || !signature) return false;
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
