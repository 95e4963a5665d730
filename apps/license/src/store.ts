// Every read and write of the license database. Each balance change is one atomic conditional
// statement that writes its ledger row in the same statement (or transaction), so a crash at
// any moment leaves balance and ledger in agreement, and a retried call is never counted twice.

import type { TLicenseStatus, TReserve, TUsageUpdate } from "@dsai/contracts";
import pg from "pg";

// BIGINT columns arrive as strings; credits stay far below 2^53 seconds.
const toNumber = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));

export type TLicenseRow = {
  id: string;
  name: string;
  status: TLicenseStatus;
  balanceSeconds: number;
  reservedSeconds: number;
  createdAt: Date;
};
export type TApiKeyRow = {
  id: string;
  licenseId: string;
  keyId: string;
  secretHash: string;
  label: string;
  scopes: string[];
  agentId: string | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
  createdAt: Date;
};

export class NotFoundError extends Error {}

export type TUsageOutcome =
  | { kind: "applied"; remainingSeconds: number }
  | { kind: "duplicate"; remainingSeconds: number }
  | { kind: "conflict" }
  | { kind: "not_found" };

export type TReserveOutcome =
  | { kind: "reserved" | "duplicate"; remainingSeconds: number; reservedSeconds: number; expiresAt: Date }
  | { kind: "not_found" | "inactive" | "no_credit" | "conflict" | "settled" };

export type TStore = ReturnType<typeof createStore>;

const RECORD_USAGE = `
WITH ins AS (
  INSERT INTO usage (license_id, call_id, seconds, started_at, ended_at, agent_id, body_hash)
  VALUES ($1, $2, $3, $4, $5, $6, $7)
  ON CONFLICT (license_id, call_id) DO NOTHING
  RETURNING seconds
), released AS (
  DELETE FROM reservation WHERE license_id = $1 AND call_id = $2 AND EXISTS (SELECT 1 FROM ins)
  RETURNING seconds
), upd AS (
  UPDATE license SET
    balance_seconds = balance_seconds - (SELECT seconds FROM ins),
    reserved_seconds = reserved_seconds - COALESCE((SELECT seconds FROM released), 0),
    updated_at = now()
  WHERE id = $1 AND EXISTS (SELECT 1 FROM ins)
  RETURNING balance_seconds
), led AS (
  INSERT INTO ledger_entry (license_id, kind, delta_seconds, balance_after, call_id)
  SELECT $1, 'usage', -(SELECT seconds FROM ins), balance_seconds, $2 FROM upd
)
SELECT (SELECT balance_seconds FROM upd) AS new_balance,
       (SELECT body_hash FROM usage WHERE license_id = $1 AND call_id = $2) AS existing_hash,
       (SELECT balance_seconds FROM license WHERE id = $1) AS balance`;

const EXPIRE_RESERVATIONS = `
WITH expired AS (
  DELETE FROM reservation WHERE expires_at <= now() RETURNING license_id, call_id, seconds
), totals AS (
  SELECT license_id, sum(seconds) AS seconds FROM expired GROUP BY license_id
), upd AS (
  UPDATE license l SET reserved_seconds = l.reserved_seconds - t.seconds, updated_at = now()
  FROM totals t WHERE l.id = t.license_id
  RETURNING l.id, l.balance_seconds
)
INSERT INTO ledger_entry (license_id, kind, delta_seconds, balance_after, call_id, note)
SELECT e.license_id, 'reservation_expiry', 0, u.balance_seconds, e.call_id, 'released ' || e.seconds || ' s held for a call that never reported'
FROM expired e JOIN upd u ON u.id = e.license_id`;

function licenseRow(r: Record<string, unknown>): TLicenseRow {
  return {
    id: r.id as string,
    name: r.name as string,
    status: r.status as TLicenseStatus,
    balanceSeconds: toNumber(r.balance_seconds),
    reservedSeconds: toNumber(r.reserved_seconds),
    createdAt: r.created_at as Date,
  };
}

function apiKeyRow(r: Record<string, unknown>): TApiKeyRow {
  return {
    id: r.id as string,
    licenseId: r.license_id as string,
    keyId: r.key_id as string,
    secretHash: r.secret_hash as string,
    label: r.label as string,
    scopes: r.scopes as string[],
    agentId: (r.agent_id as string | null) ?? null,
    expiresAt: (r.expires_at as Date | null) ?? null,
    revokedAt: (r.revoked_at as Date | null) ?? null,
    createdAt: r.created_at as Date,
  };
}

const isForeignKeyViolation = (err: unknown) => (err as { code?: string }).code === "23503";

export function createStore(options: { url: string; poolSize?: number }) {
  const pool = new pg.Pool({ connectionString: options.url, max: options.poolSize ?? 20 });
  // An idle client that loses its connection must not crash the service.
  pool.on("error", () => {});

  async function tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await pool.connect();
    try {
      await client.query("BEGIN");
      const result = await fn(client);
      await client.query("COMMIT");
      return result;
    } catch (err) {
      await client.query("ROLLBACK").catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  async function licenseVia(client: pg.PoolClient, id: string): Promise<TLicenseRow | undefined> {
    const { rows } = await client.query("SELECT * FROM license WHERE id = $1", [id]);
    return rows[0] ? licenseRow(rows[0]) : undefined;
  }

  async function getLicense(id: string): Promise<TLicenseRow | undefined> {
    const { rows } = await pool.query({ name: "get-license", text: "SELECT * FROM license WHERE id = $1", values: [id] });
    return rows[0] ? licenseRow(rows[0]) : undefined;
  }

  return {
    pool,
    getLicense,
    close: () => pool.end(),

    /** Creates a license; the same id and name again returns the existing license unchanged (a retried create). */
    async createLicense(input: { id: string; name: string; seconds: number }): Promise<TLicenseRow | "exists_differently"> {
      return tx(async (c) => {
        const { rows } = await c.query(
          "INSERT INTO license (id, name, balance_seconds) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING RETURNING *",
          [input.id, input.name, input.seconds],
        );
        if (rows.length === 0) {
          const existing = await licenseVia(c, input.id);
          return existing?.name === input.name ? existing : "exists_differently";
        }
        await c.query(
          "INSERT INTO ledger_entry (license_id, kind, delta_seconds, balance_after, note) VALUES ($1, 'grant', $2, $2, 'initial credit')",
          [input.id, input.seconds],
        );
        return licenseRow(rows[0]);
      });
    },

    /** A grant (positive) or an adjustment (either sign), with its ledger row, in one statement. */
    async changeCredits(input: {
      licenseId: string;
      seconds: number;
      kind: "grant" | "adjustment";
      note: string | undefined;
    }): Promise<number> {
      const { rows } = await pool.query(
        `WITH upd AS (
           UPDATE license SET balance_seconds = balance_seconds + $2, updated_at = now() WHERE id = $1 RETURNING balance_seconds
         )
         INSERT INTO ledger_entry (license_id, kind, delta_seconds, balance_after, note)
         SELECT $1, $3::"LedgerKind", $2, balance_seconds, $4 FROM upd RETURNING balance_after`,
        [input.licenseId, input.seconds, input.kind, input.note ?? null],
      );
      if (!rows[0]) throw new NotFoundError(`license ${input.licenseId} not found`);
      return toNumber(rows[0].balance_after);
    },

    async setStatus(licenseId: string, status: TLicenseStatus, allowedFrom: TLicenseStatus[]): Promise<TLicenseRow | "wrong_status"> {
      const { rows } = await pool.query(
        `UPDATE license SET status = $2, updated_at = now() WHERE id = $1 AND status = ANY($3::"LicenseStatus"[]) RETURNING *`,
        [licenseId, status, allowedFrom],
      );
      if (rows[0]) return licenseRow(rows[0]);
      if (!(await getLicense(licenseId))) throw new NotFoundError(`license ${licenseId} not found`);
      return "wrong_status";
    },

    async listLicenses(): Promise<TLicenseRow[]> {
      const { rows } = await pool.query("SELECT * FROM license ORDER BY created_at, id");
      return rows.map(licenseRow);
    },

    async insertApiKey(key: Omit<TApiKeyRow, "revokedAt" | "createdAt">): Promise<TApiKeyRow> {
      try {
        const { rows } = await pool.query(
          `INSERT INTO api_key (id, license_id, key_id, secret_hash, label, scopes, agent_id, expires_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *`,
          [key.id, key.licenseId, key.keyId, key.secretHash, key.label, key.scopes, key.agentId, key.expiresAt],
        );
        return apiKeyRow(rows[0]);
      } catch (err) {
        if (isForeignKeyViolation(err)) throw new NotFoundError(`license ${key.licenseId} not found`);
        throw err;
      }
    },

    async findApiKey(keyId: string): Promise<TApiKeyRow | undefined> {
      const { rows } = await pool.query({ name: "find-api-key", text: "SELECT * FROM api_key WHERE key_id = $1", values: [keyId] });
      return rows[0] ? apiKeyRow(rows[0]) : undefined;
    },

    async listApiKeys(licenseId: string): Promise<TApiKeyRow[]> {
      const { rows } = await pool.query("SELECT * FROM api_key WHERE license_id = $1 ORDER BY created_at, id", [licenseId]);
      return rows.map(apiKeyRow);
    },

    async revokeApiKey(keyId: string): Promise<TApiKeyRow> {
      // The NOTIFY is sent when this statement commits: every instance drops the key at once.
      const { rows } = await pool.query(
        `WITH upd AS (UPDATE api_key SET revoked_at = COALESCE(revoked_at, now()) WHERE key_id = $1 RETURNING *)
         SELECT upd.*, pg_notify('dsai_license_keys', upd.key_id) FROM upd`,
        [keyId],
      );
      if (!rows[0]) throw new NotFoundError(`API key ${keyId} not found`);
      return apiKeyRow(rows[0]);
    },

    async recordUsage(licenseId: string, u: TUsageUpdate, bodyHash: string): Promise<TUsageOutcome> {
      let row: Record<string, unknown> | undefined;
      try {
        const result = await pool.query({
          name: "record-usage",
          text: RECORD_USAGE,
          values: [licenseId, u.callId, u.seconds, u.startedAt, u.endedAt, u.agentId ?? null, bodyHash],
        });
        row = result.rows[0];
      } catch (err) {
        if (isForeignKeyViolation(err)) return { kind: "not_found" };
        throw err;
      }
      if (row?.new_balance !== null && row?.new_balance !== undefined)
        return { kind: "applied", remainingSeconds: toNumber(row.new_balance) };
      if (row?.balance === null || row?.balance === undefined) return { kind: "not_found" };
      let existing = row.existing_hash as string | null;
      if (existing === null) {
        // The same call was being recorded concurrently: it committed after our snapshot.
        const again = await pool.query("SELECT body_hash FROM usage WHERE license_id = $1 AND call_id = $2", [licenseId, u.callId]);
        existing = (again.rows[0]?.body_hash as string | undefined) ?? null;
      }
      if (existing !== bodyHash) return { kind: "conflict" };
      const current = await getLicense(licenseId);
      return { kind: "duplicate", remainingSeconds: current?.balanceSeconds ?? toNumber(row.balance) };
    },

    async reserve(licenseId: string, r: TReserve, ttlSeconds: number): Promise<TReserveOutcome> {
      const client = await pool.connect();
      try {
        await client.query("BEGIN");
        let inserted: Record<string, unknown> | undefined;
        try {
          const res = await client.query(
            `INSERT INTO reservation (license_id, call_id, seconds, expires_at)
             SELECT $1, $2, $3, now() + make_interval(secs => $4)
             WHERE NOT EXISTS (SELECT 1 FROM usage WHERE license_id = $1 AND call_id = $2)
             ON CONFLICT (license_id, call_id) DO NOTHING RETURNING expires_at`,
            [licenseId, r.callId, r.seconds, ttlSeconds],
          );
          inserted = res.rows[0];
        } catch (err) {
          await client.query("ROLLBACK");
          if (isForeignKeyViolation(err)) return { kind: "not_found" };
          throw err;
        }
        if (!inserted) {
          await client.query("ROLLBACK");
          const existing = await pool.query("SELECT seconds, expires_at FROM reservation WHERE license_id = $1 AND call_id = $2", [
            licenseId,
            r.callId,
          ]);
          const held = existing.rows[0];
          if (!held) return { kind: "settled" };
          if (held.seconds !== r.seconds) return { kind: "conflict" };
          const license = await licenseVia(client, licenseId);
          return {
            kind: "duplicate",
            remainingSeconds: license?.balanceSeconds ?? 0,
            reservedSeconds: license?.reservedSeconds ?? 0,
            expiresAt: held.expires_at,
          };
        }
        // The one conditional statement that keeps concurrent calls from overspending.
        const upd = await client.query(
          `UPDATE license SET reserved_seconds = reserved_seconds + $2, updated_at = now()
           WHERE id = $1 AND status = 'active' AND balance_seconds - reserved_seconds >= $2
           RETURNING balance_seconds, reserved_seconds`,
          [licenseId, r.seconds],
        );
        if (!upd.rows[0]) {
          await client.query("ROLLBACK");
          const license = await licenseVia(client, licenseId);
          if (!license) return { kind: "not_found" };
          return { kind: license.status === "active" ? "no_credit" : "inactive" };
        }
        await client.query("COMMIT");
        return {
          kind: "reserved",
          remainingSeconds: toNumber(upd.rows[0].balance_seconds),
          reservedSeconds: toNumber(upd.rows[0].reserved_seconds),
          expiresAt: inserted.expires_at as Date,
        };
      } catch (err) {
        await client.query("ROLLBACK").catch(() => {});
        throw err;
      } finally {
        client.release();
      }
    },

    /** Releases reservations past their TTL, each with a ledger row. Returns how many. */
    async expireReservations(): Promise<number> {
      const { rowCount } = await pool.query(EXPIRE_RESERVATIONS);
      return rowCount ?? 0;
    },

    /** Licenses whose stored balance or reservations disagree with the ledger and reservations. */
    async verify(): Promise<{ licenses: number; mismatches: { licenseId: string; field: string; stored: number; recomputed: number }[] }> {
      const { rows } = await pool.query(`
        SELECT l.id, l.balance_seconds, l.reserved_seconds,
               COALESCE((SELECT sum(delta_seconds) FROM ledger_entry e WHERE e.license_id = l.id), 0) AS ledger_balance,
               COALESCE((SELECT sum(seconds) FROM reservation r WHERE r.license_id = l.id), 0) AS open_reserved,
               COALESCE((SELECT -sum(delta_seconds) FROM ledger_entry e WHERE e.license_id = l.id AND kind = 'usage'), 0) AS ledger_usage,
               COALESCE((SELECT sum(seconds) FROM usage u WHERE u.license_id = l.id), 0) AS usage_total
        FROM license l`);
      const mismatches: { licenseId: string; field: string; stored: number; recomputed: number }[] = [];
      for (const r of rows) {
        const check = (field: string, stored: unknown, recomputed: unknown) => {
          if (toNumber(stored) !== toNumber(recomputed))
            mismatches.push({ licenseId: r.id, field, stored: toNumber(stored), recomputed: toNumber(recomputed) });
        };
        check("balance_seconds", r.balance_seconds, r.ledger_balance);
        check("reserved_seconds", r.reserved_seconds, r.open_reserved);
        check("usage", r.usage_total, r.ledger_usage);
      }
      return { licenses: rows.length, mismatches };
    },

    async usageHistory(licenseId: string, page: { after?: string | undefined; limit: number }) {
      const { rows } = await pool.query(
        `SELECT call_id, seconds, started_at, ended_at, agent_id, created_at FROM usage
         WHERE license_id = $1 AND ($2::uuid IS NULL OR (created_at, call_id) > (SELECT created_at, call_id FROM usage WHERE license_id = $1 AND call_id = $2))
         ORDER BY created_at, call_id LIMIT $3`,
        [licenseId, page.after ?? null, page.limit],
      );
      return rows.map((r) => ({
        callId: r.call_id as string,
        seconds: r.seconds as number,
        startedAt: r.started_at as Date,
        endedAt: r.ended_at as Date,
        agentId: r.agent_id as string | null,
        recordedAt: r.created_at as Date,
      }));
    },

    async ledger(licenseId: string, page: { after?: number | undefined; limit: number }) {
      const { rows } = await pool.query(
        `SELECT id, kind, delta_seconds, balance_after, call_id, note, created_at FROM ledger_entry
         WHERE license_id = $1 AND id > $2 ORDER BY id LIMIT $3`,
        [licenseId, page.after ?? 0, page.limit],
      );
      return rows.map((r) => ({
        id: toNumber(r.id),
        kind: r.kind as string,
        deltaSeconds: toNumber(r.delta_seconds),
        balanceAfter: toNumber(r.balance_after),
        callId: r.call_id as string | null,
        note: r.note as string | null,
        at: r.created_at as Date,
      }));
    },
  };
}
