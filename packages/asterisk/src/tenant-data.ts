// The tenant data that reaches Asterisk files: a tenant's desired state (numbers, trunks, phones,
// status; @dsai/contracts) with its secrets opened, plus where its core listens and the token the
// dialplan presents. Every field uses the contract's one rule for it — a strict pattern, nothing
// escaped — and the whole tenant is rejected with every bad field named.
import {
  checkRouting,
  FieldIssuesError,
  parseOrThrow,
  phoneSchema,
  type TFieldIssue,
  trunkSchema,
  ZHostSchema,
  ZNumberRouteSchema,
  ZPortSchema,
  ZSecretSchema,
  ZSlugSchema,
  ZTenantStatusSchema,
  ZTokenSchema,
} from "@dsai/contracts";
import { z } from "zod";

export const ZTrunkSchema = trunkSchema(ZSecretSchema);
export const ZPhoneSchema = phoneSchema(ZSecretSchema);

export const ZTenantAsteriskSchema = z
  .strictObject({
    slug: ZSlugSchema,
    status: ZTenantStatusSchema,
    core: z.strictObject({ host: ZHostSchema, httpPort: ZPortSchema, audioSocketPort: ZPortSchema }),
    token: ZTokenSchema,
    numbers: z.array(ZNumberRouteSchema).max(1000).default([]),
    trunks: z.array(ZTrunkSchema).max(50).default([]),
    phones: z.array(ZPhoneSchema).max(500).default([]),
  })
  .superRefine(checkRouting);

export type TTenantAsteriskInput = z.input<typeof ZTenantAsteriskSchema>;
export type TTenantAsterisk = z.output<typeof ZTenantAsteriskSchema>;
export type TTrunk = z.output<typeof ZTrunkSchema>;
export type TPhone = z.output<typeof ZPhoneSchema>;

export class TenantDataError extends FieldIssuesError {
  constructor(issues: TFieldIssue[]) {
    super("tenant Asterisk data", issues);
  }
}

/** Validates tenant data; throws TenantDataError naming every bad field. */
export function parseTenantData(input: unknown): TTenantAsterisk {
  return parseOrThrow(ZTenantAsteriskSchema, input, (issues) => new TenantDataError(issues));
}
