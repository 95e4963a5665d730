// Administration of licenses and keys: plain functions named verb-noun, shared by the tRPC
// router (the platform) and the CLI (ops). Inputs are validated here, at the boundary.
import { randomUUID } from "node:crypto";
import { SCOPES, ZLicenseIdSchema, ZObjectIdSchema, ZScopeSchema } from "@dsai/contracts";
import { z } from "zod";
import { newApiKey } from "./api-keys.ts";
import { ApiError } from "./errors.ts";
import { NotFoundError, type TApiKeyRow, type TStore } from "./store.ts";

/** Grants are bounded so a typo cannot mint centuries of credit. */
const MAX_GRANT_SECONDS = 100_000_000;

export const ZCreateLicenseSchema = z.strictObject({
  /** Chosen by the caller to make creation idempotent: the platform passes its tenant's id, so a retried create finds the license it made. */
  id: ZLicenseIdSchema.optional(),
  name: z.string().trim().min(1).max(200),
  seconds: z.number().int().min(0).max(MAX_GRANT_SECONDS),
});
export const ZGrantSchema = z.strictObject({
  licenseId: ZLicenseIdSchema,
  seconds: z
    .number()
    .int()
    .min(-MAX_GRANT_SECONDS)
    .max(MAX_GRANT_SECONDS)
    .refine((s) => s !== 0, "not zero"),
  note: z.string().max(500).optional(),
});
export const ZIssueKeySchema = z.strictObject({
  licenseId: ZLicenseIdSchema,
  label: z.string().trim().min(1).max(100).default("default"),
  scopes: z
    .array(ZScopeSchema)
    .min(1)
    .default([...SCOPES]),
  agentId: ZObjectIdSchema.optional(),
  expiresAt: z.iso.datetime({ offset: true }).optional(),
});
export const ZPageSchema = z.strictObject({
  licenseId: ZLicenseIdSchema,
  after: z.string().optional(),
  limit: z.number().int().min(1).max(500).default(100),
});

function publicKey(k: TApiKeyRow) {
  // Never the hash: it is useless to the caller and only helps an attacker.
  return {
    keyId: k.keyId,
    label: k.label,
    scopes: k.scopes,
    agentId: k.agentId,
    expiresAt: k.expiresAt,
    revokedAt: k.revokedAt,
    createdAt: k.createdAt,
  };
}

async function notFoundAs404<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof NotFoundError) throw new ApiError(404, "not_found", err.message);
    throw err;
  }
}

export function createAdmin(store: TStore, hooks: { keyRevoked?: (keyId: string) => void } = {}) {
  const show = async (licenseId: string) => {
    const license = await store.getLicense(ZLicenseIdSchema.parse(licenseId));
    if (!license) throw new ApiError(404, "license_not_found", `license ${licenseId} not found`);
    return license;
  };
  const transition = (to: "active" | "suspended" | "closed", from: ("active" | "suspended" | "closed")[]) => async (licenseId: string) => {
    const result = await notFoundAs404(() => store.setStatus(ZLicenseIdSchema.parse(licenseId), to, from));
    if (result === "wrong_status")
      throw new ApiError(409, "wrong_status", `license ${licenseId} cannot become ${to} from its current status`);
    return result;
  };
  return {
    createLicense: async (input: z.input<typeof ZCreateLicenseSchema>) => {
      const i = ZCreateLicenseSchema.parse(input);
      const created = await store.createLicense({ id: i.id ?? randomUUID(), name: i.name, seconds: i.seconds });
      if (created === "exists_differently") throw new ApiError(409, "license_exists", `license ${i.id} exists with another name`);
      return created;
    },
    grantCredits: async (input: z.input<typeof ZGrantSchema>) => {
      const i = ZGrantSchema.parse(input);
      const balance = await notFoundAs404(() =>
        store.changeCredits({ licenseId: i.licenseId, seconds: i.seconds, kind: i.seconds > 0 ? "grant" : "adjustment", note: i.note }),
      );
      return { licenseId: i.licenseId, remainingSeconds: balance };
    },
    suspendLicense: transition("suspended", ["active"]),
    reactivateLicense: transition("active", ["suspended"]),
    closeLicense: transition("closed", ["active", "suspended"]),
    showLicense: show,
    listLicenses: () => store.listLicenses(),
    /** The token is returned once, here; only its hash is stored. */
    issueKey: async (input: z.input<typeof ZIssueKeySchema>) => {
      const i = ZIssueKeySchema.parse(input);
      const key = newApiKey();
      const row = await notFoundAs404(() =>
        store.insertApiKey({
          id: key.id,
          licenseId: i.licenseId,
          keyId: key.keyId,
          secretHash: key.secretHash,
          label: i.label,
          scopes: [...new Set(i.scopes)],
          agentId: i.agentId ?? null,
          expiresAt: i.expiresAt ? new Date(i.expiresAt) : null,
        }),
      );
      return { ...publicKey(row), licenseId: i.licenseId, token: key.token };
    },
    listKeys: async (licenseId: string) => (await store.listApiKeys(ZLicenseIdSchema.parse(licenseId))).map(publicKey),
    revokeKey: async (keyId: string) => {
      const valid = z
        .string()
        .regex(/^[0-9A-Za-z]{12}$/, "a key id")
        .parse(keyId);
      const row = await notFoundAs404(() => store.revokeApiKey(valid));
      hooks.keyRevoked?.(row.keyId);
      return publicKey(row);
    },
    usageHistory: async (input: z.input<typeof ZPageSchema>) => {
      const p = ZPageSchema.parse(input);
      return store.usageHistory(p.licenseId, { after: p.after === undefined ? undefined : z.uuid().parse(p.after), limit: p.limit });
    },
    ledger: async (input: z.input<typeof ZPageSchema>) => {
      const p = ZPageSchema.parse(input);
      return store.ledger(p.licenseId, {
        after: p.after === undefined ? undefined : z.coerce.number().int().min(0).parse(p.after),
        limit: p.limit,
      });
    },
    verify: () => store.verify(),
    expireReservations: () => store.expireReservations(),
  };
}

export type TAdmin = ReturnType<typeof createAdmin>;
