// A real License Service on port 0 over a fresh database of a real Postgres, per test file.
import { randomBytes } from "node:crypto";
import { applyMigrations, createTestDatabase, startTestServer } from "@dsai/postgres";
import { LICENSE_MIGRATIONS_DIR } from "../src/database.ts";
import { createLicenseServer, type TLicenseServer } from "../src/server.ts";

export const ADMIN_TOKEN = `admin-${randomBytes(24).toString("hex")}`;

export type THarness = { server: TLicenseServer; url: string; databaseUrl: string; close(): Promise<void> };

export async function startHarness(
  options: { rateLimit?: { perSecond: number; burst: number }; reservationTtlSeconds?: number } = {},
): Promise<THarness> {
  const pg = await startTestServer();
  const db = await createTestDatabase(pg.adminUrl, "license");
  await applyMigrations({ url: db.url, migrationsDir: LICENSE_MIGRATIONS_DIR });
  const server = createLicenseServer({
    databaseUrl: db.url,
    host: "127.0.0.1",
    port: 0,
    adminToken: ADMIN_TOKEN,
    reservationTtlSeconds: options.reservationTtlSeconds ?? 3600,
    rateLimit: options.rateLimit ?? { perSecond: 10_000, burst: 10_000 },
    poolSize: 20,
  });
  await server.start();
  return {
    server,
    url: server.url,
    databaseUrl: db.url,
    close: async () => {
      await server.stop();
      await db.close();
      await pg.stop();
    },
  };
}

export async function newLicense(h: THarness, seconds: number, scopes?: ("credits:read" | "usage:write")[]) {
  const license = await h.server.admin.createLicense({ name: `test ${randomBytes(3).toString("hex")}`, seconds });
  const key = await h.server.admin.issueKey({ licenseId: license.id, ...(scopes ? { scopes } : {}) });
  return { license, token: key.token, keyId: key.keyId };
}

export function call(h: THarness, method: string, path: string, token: string | undefined, body?: unknown, raw?: string) {
  return fetch(`${h.url}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined || raw !== undefined ? { "content-type": "application/json" } : {}),
    },
    body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
  });
}

/** A response body, typed loosely for assertions on error codes and fields. */
export async function json(res: Response): Promise<Record<string, unknown> & { error: { code: string; message: string; field?: string } }> {
  return (await res.json()) as Record<string, unknown> & { error: { code: string; message: string; field?: string } };
}

export function usage(callId: string, seconds: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { callId, seconds, startedAt: "2026-11-24T10:00:00Z", endedAt: "2026-11-24T10:05:00Z", ...extra };
}
