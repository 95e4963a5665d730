// The License Service's REST contract, shared by the service, tenant cores and the platform so
// that no side re-declares it. Credits are integer seconds; minutes are a view.
import { z } from "zod";
import { ZObjectIdSchema } from "./fields.ts";

/** A call may not bill more than a day: anything larger is a bug or an attack. */
export const MAX_CALL_SECONDS = 86_400;
/** Request bodies above this are refused with 413. */
export const MAX_BODY_BYTES = 16 * 1024;

export const SCOPES = ["credits:read", "usage:write"] as const;
export const ZScopeSchema = z.enum(SCOPES);
export type TScope = z.infer<typeof ZScopeSchema>;

export const ZLicenseIdSchema = z.uuid({ message: "a UUID" });
/** A License Service API key as @dsai/api-keys makes it: `dsai_lk_<12-character id>_<43-character base64url secret>`. */
export const ZLicenseKeySchema = z.string().regex(/^dsai_lk_[0-9A-Za-z]{12}_[A-Za-z0-9_-]{43}$/, "a License Service key (dsai_lk_...)");

const ZSecondsSchema = z
  .number({ message: "an integer number of seconds" })
  .int("an integer number of seconds")
  .min(0, "not negative")
  .max(MAX_CALL_SECONDS, `at most ${MAX_CALL_SECONDS} (24 h) per call`);

export const ZUsageUpdateSchema = z
  .strictObject({
    callId: z.uuid({ message: "a UUID" }),
    seconds: ZSecondsSchema,
    startedAt: z.iso.datetime({ offset: true, message: "an ISO 8601 date-time" }),
    endedAt: z.iso.datetime({ offset: true, message: "an ISO 8601 date-time" }),
    agentId: ZObjectIdSchema.optional(),
  })
  .refine((u) => Date.parse(u.endedAt) >= Date.parse(u.startedAt), { path: ["endedAt"], message: "not before startedAt" });
export type TUsageUpdate = z.infer<typeof ZUsageUpdateSchema>;

export const ZReserveSchema = z.strictObject({
  callId: z.uuid({ message: "a UUID" }),
  seconds: ZSecondsSchema.min(1, "at least 1"),
});
export type TReserve = z.infer<typeof ZReserveSchema>;

export type TLicenseStatus = "active" | "suspended" | "closed";

export type TCredits = {
  licenseId: string;
  status: TLicenseStatus;
  remainingSeconds: number;
  remainingMinutes: number;
  reservedSeconds: number;
  /** A new call may start now: the license is active and has unreserved credit. */
  allowed: boolean;
};

export type TUpdateResult = { applied: boolean; duplicate: boolean; remainingSeconds: number };

export type TReserveResult = {
  reserved: boolean;
  duplicate: boolean;
  remainingSeconds: number;
  reservedSeconds: number;
  expiresAt: string;
};

/** Every error answer: a stable code, a message, and the offending field when there is one. */
export type TErrorBody = { error: { code: string; message: string; field?: string } };
