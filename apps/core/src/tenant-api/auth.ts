// Who calls the tenant API: a tenant API key (`dsai_tk_…`, hashed in the tenant database) or
// the platform, with a short-lived service token it signs with the secret it shares with this
// core (CORE_PLATFORM_SECRET; the token's format is in @dsai/contracts).
import { apiKeyFormat, secretMatches } from "@dsai/api-keys";
import { SERVICE_TOKEN_PREFIX, verifyServiceToken } from "@dsai/contracts";
import type pg from "pg";

export const TENANT_KEYS = apiKeyFormat("dsai_tk_");

export type TPrincipal = { kind: "api_key"; keyId: string } | { kind: "platform" };

export async function authenticate(
  pool: pg.Pool,
  platformSecret: string | undefined,
  header: string | undefined,
): Promise<TPrincipal | undefined> {
  const token = header?.startsWith("Bearer ") ? header.slice(7).trim() : "";
  if (token.startsWith(SERVICE_TOKEN_PREFIX)) return verifyServiceToken(platformSecret, token) ? { kind: "platform" } : undefined;
  const parts = TENANT_KEYS.parse(token);
  if (!parts) return undefined;
  const { rows } = await pool.query<{ secretHash: string }>(
    'UPDATE api_key SET last_used_at = now() WHERE key_id = $1 AND revoked_at IS NULL RETURNING secret_hash AS "secretHash"',
    [parts.keyId],
  );
  const row = rows[0];
  return row && secretMatches(parts.secret, row.secretHash) ? { kind: "api_key", keyId: parts.keyId } : undefined;
}
