// The tenant's desired state, read from its database: every row checked against the contract
// (@dsai/contracts) on its own, so a row that today's rules reject — data older than the rules —
// is left out and named, instead of failing the whole tenant. Lists are sorted, so the same data
// always gives the same desired state (and the same Asterisk files).
import {
  fieldIssues,
  GENERATOR_VERSION,
  phoneSchema,
  type TRejectedRow,
  type TTenantDesiredState,
  trunkSchema,
  ZAgentSchema,
  ZNumberRouteSchema,
  ZProviderProfileSchema,
  ZSealedSecretSchema,
  ZSlugSchema,
  ZTenantDesiredStateSchema,
} from "@dsai/contracts";
import type { z } from "zod";
import type { PrismaClient } from "../../generated/prisma/client.ts";
import { agentView } from "./agents.ts";
import { DataError } from "./errors.ts";
import { profileRuntime } from "./provider-profiles.ts";
import { getStatus } from "./tenant.ts";
import { trunkOfRow } from "./trunks.ts";

const ZDesiredTrunk = trunkSchema(ZSealedSecretSchema);
const ZDesiredPhone = phoneSchema(ZSealedSecretSchema);

const byKey =
  <T>(key: (x: T) => string) =>
  (a: T, b: T) =>
    key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;

/** Rows that pass their schema, and the others named by table and key. */
function checkRows<T>(table: string, rows: { key: string; value: unknown }[], schema: z.ZodType<T>, rejected: TRejectedRow[]): T[] {
  const accepted: T[] = [];
  for (const row of rows) {
    const parsed = schema.safeParse(row.value);
    if (parsed.success) accepted.push(parsed.data);
    else rejected.push({ table, key: row.key, issues: fieldIssues(parsed.error, "(row)") });
  }
  return accepted;
}

export type TDesiredStateAnswer = { desiredState: TTenantDesiredState; rejected: TRejectedRow[] };

export async function readDesiredState(db: PrismaClient, slug: string | undefined): Promise<TDesiredStateAnswer> {
  const tenantSlug = ZSlugSchema.safeParse(slug);
  if (!tenantSlug.success)
    throw new DataError("PRECONDITION_FAILED", "CORE_TENANT_SLUG is not configured (or not a slug): the desired state names its tenant");
  const [status, agentRows, profileRows, numberRows, trunkRows, phoneRows] = await Promise.all([
    getStatus(db),
    db.agent.findMany(),
    db.providerProfile.findMany(),
    db.phoneNumber.findMany(),
    db.sipTrunk.findMany(),
    db.phone.findMany(),
  ]);
  const rejected: TRejectedRow[] = [];
  const agents = checkRows(
    "agent",
    agentRows.map((a) => {
      const { createdAt: _c, updatedAt: _u, ...agent } = agentView(a);
      return { key: a.id, value: agent };
    }),
    ZAgentSchema,
    rejected,
  );
  const providerProfiles = checkRows(
    "provider_profile",
    profileRows.map((p) => ({
      key: p.id,
      value: {
        id: p.id,
        name: p.name,
        kind: p.kind,
        runtime: profileRuntime(p),
        settings: p.settings,
        secret: p.secretCiphertext ?? undefined,
      },
    })),
    ZProviderProfileSchema,
    rejected,
  );
  const numbers = checkRows(
    "phone_number",
    numberRows.map((n) => ({ key: n.number, value: { number: n.number, agentId: n.agentId, record: n.record } })),
    ZNumberRouteSchema,
    rejected,
  );
  const trunks = checkRows(
    "sip_trunk",
    trunkRows.map((t) => ({ key: t.name, value: trunkOfRow(t) })),
    ZDesiredTrunk,
    rejected,
  );
  const phones = checkRows(
    "phone",
    phoneRows.map((p) => ({
      key: p.name,
      value: { id: p.name, extension: p.extension, password: p.passwordCiphertext, codecs: p.codecs },
    })),
    ZDesiredPhone,
    rejected,
  );
  const state = {
    generatorVersion: GENERATOR_VERSION,
    slug: tenantSlug.data,
    status: status.status,
    agents: agents.sort(byKey((a) => a.id)),
    providerProfiles: providerProfiles.sort(byKey((p) => p.id)),
    numbers: numbers.sort(byKey((n) => n.number)),
    trunks: trunks.sort(byKey((t) => t.id)),
    phones: phones.sort(byKey((p) => p.id)),
  };
  return { desiredState: withoutRowsAcrossRules(state, rejected), rejected };
}

type TListName = "agents" | "providerProfiles" | "numbers" | "trunks" | "phones";
const TABLES: Record<TListName, string> = {
  agents: "agent",
  providerProfiles: "provider_profile",
  numbers: "phone_number",
  trunks: "sip_trunk",
  phones: "phone",
};

/**
 * Rules across rows (a number naming an agent that is gone, a trunk incomplete for its mode, an
 * extension that is also a number): each offending row is left out and named, until the state
 * holds. Leaving out a row can break another (an agent's number), hence the loop.
 */
function withoutRowsAcrossRules(state: z.input<typeof ZTenantDesiredStateSchema>, rejected: TRejectedRow[]): TTenantDesiredState {
  let current = state;
  for (;;) {
    const parsed = ZTenantDesiredStateSchema.safeParse(current);
    if (parsed.success) return parsed.data;
    const drop = new Map<TListName, Set<number>>();
    for (const issue of parsed.error.issues) {
      const [list, index] = issue.path as [TListName, number];
      if (!(list in TABLES) || typeof index !== "number") throw new Error(`desired state: ${issue.path.join(".")}: ${issue.message}`);
      const rows = (current[list] ?? []) as Record<string, unknown>[];
      const row = rows[index] ?? {};
      rejected.push({
        table: TABLES[list],
        key: String(row.id ?? row.number),
        issues: [{ path: issue.path.slice(2).join("."), message: issue.message }],
      });
      drop.set(list, (drop.get(list) ?? new Set()).add(index));
    }
    current = { ...current };
    for (const [list, indexes] of drop) {
      (current as unknown as Record<string, unknown[]>)[list] = ((current[list] ?? []) as unknown[]).filter((_, i) => !indexes.has(i));
    }
  }
}
