// One rule per field. Every value that crosses a deployable's boundary — and above all every
// value that may reach an Asterisk file, a container, a Terraform string or SQL — is checked
// against exactly one of these patterns, here. Nothing is escaped anywhere: a value either
// matches or is refused, so no value can carry a newline, `;`, `[`, `]`, `,`, `$`, `{`, `}`, `#`,
// quotes or spaces into a config file.
import { z } from "zod";

/** DNS label (the tenant's host is <slug>.<base domain>); no `_`, which Asterisk names use as separator. */
export const ZSlugSchema = z
  .string()
  .regex(/^[a-z](?:[a-z0-9-]{0,30}[a-z0-9])?$/, "a DNS label: lowercase letters, digits and '-', 1-32 characters, starting with a letter");

/**
 * Ids of agents, trunks and phones within a tenant. At most 24 characters so that the longest
 * Asterisk name built from them fits its 79-character section names, which it truncates
 * silently (`dsai_` + 32-character slug + `_trunk_` + 24 + `_identify` = 77).
 */
export const ZObjectIdSchema = z
  .string()
  .regex(/^[a-z0-9](?:[a-z0-9-]{0,22}[a-z0-9])?$/, "lowercase letters, digits and '-', 1-24 characters, not starting or ending with '-'");

/** A DID in E.164 (with or without '+') or an internal number: digits only. */
export const ZNumberSchema = z.string().regex(/^\+?[0-9]{2,15}$/, "2-15 digits, optionally after '+'");

/** The internal extension that rings a phone. */
export const ZExtensionSchema = z.string().regex(/^[0-9]{2,6}$/, "2-6 digits");

const OCTET = "(?:25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])";
const IPV4 = `${OCTET}(?:\\.${OCTET}){3}`;
const PORT = "(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3})";

/** A host name or IPv4 address (no ports, no user info). */
export const ZHostSchema = z
  .string()
  .regex(
    new RegExp(`^(?:${IPV4}|(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*)$`),
    "a lowercase host name or an IPv4 address",
  );

/**
 * IPv4 network for `identify` matching, optionally with the source port the provider sends from
 * (Asterisk's own `address:port/prefix` form), e.g. 203.0.113.0/24 or 203.0.113.5:5060/32.
 */
export const ZCidrSchema = z
  .string()
  .regex(
    new RegExp(`^${IPV4}(?::${PORT})?\\/(?:3[0-2]|[12]?[0-9])$`),
    "an IPv4 network such as 203.0.113.0/24, optionally with a source port: 203.0.113.5:5060/32",
  );

export const ZPortSchema = z.number().int().min(1).max(65535);

/** SIP user names and passwords: no character that means anything in Asterisk's syntax. */
export const ZSipUserSchema = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, "letters, digits, '.', '_' or '-', 1-64 characters");
export const ZSecretSchema = z.string().regex(/^[A-Za-z0-9._~+/=-]{12,128}$/, "12-128 characters of letters, digits and . _ ~ + / = -");

/** A secret as the tenant database keeps it: AES-256-GCM, `v1.<nonce>.<tag>.<ciphertext>` (see secret-box.ts). */
export const ZSealedSecretSchema = z.string().regex(/^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]*$/, "a sealed secret");

/** The tenant token the dialplan presents to the core (random, URL-safe). */
export const ZTokenSchema = z.string().regex(/^[A-Za-z0-9_-]{32,128}$/, "32-128 URL-safe characters");

export const CODECS = ["ulaw", "alaw", "g722", "opus", "slin"] as const;
export const ZCodecSchema = z.enum(CODECS);

/** Transports of the shared Asterisk's static transports that a trunk may name (TLS is not offered). */
export const TRUNK_TRANSPORTS = ["udp", "tcp"] as const;
export const ZTrunkTransportSchema = z.enum(TRUNK_TRANSPORTS);

export const TENANT_STATUSES = ["active", "suspended"] as const;
export const ZTenantStatusSchema = z.enum(TENANT_STATUSES);
export type TTenantStatus = z.infer<typeof ZTenantStatusSchema>;

export const PROVIDER_KINDS = ["asr", "llm", "tts", "sts"] as const;
export const ZProviderKindSchema = z.enum(PROVIDER_KINDS);
export type TProviderKind = z.infer<typeof ZProviderKindSchema>;

export const AGENT_MODES = ["pipeline", "sts"] as const;
export const ZAgentModeSchema = z.enum(AGENT_MODES);

/** A BCP 47 language tag as the providers take it: `en` or `en-US`. */
export const ZLanguageSchema = z.string().regex(/^[a-z]{2}(?:-[A-Z]{2})?$/, "a language tag such as en-US");

/** A provider's voice name (espeak-ng, cloud TTS voices): letters, digits, '-', '_', '.', '+'. */
export const ZVoiceSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/, "a voice name: letters, digits, '.', '_', '+', '-'");

/** A human-readable name: one line, no control characters. Never reaches a config file. */
export const ZDisplayNameSchema = z
  .string()
  .trim()
  .min(1, "not empty")
  .max(100, "at most 100 characters")
  .regex(/^[^\p{Cc}\p{Zl}\p{Zp}]+$/u, "one line without control characters");

/** A container image reference of a provider service: `name[:tag]` or `name@sha256:...`, lowercase, no spaces. */
export const ZImageSchema = z
  .string()
  .max(255)
  .regex(
    /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]{1,5})?(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[a-f0-9]{64})?$/,
    "an image reference such as dsai/providers:1a2b3c",
  );

/** Environment variable of a provider container: POSIX name, one-line value. */
export const ZEnvNameSchema = z.string().regex(/^[A-Z][A-Z0-9_]{0,63}$/, "an upper-case variable name");
export const ZEnvValueSchema = z
  .string()
  .max(2_000)
  .regex(/^[^\p{Cc}]*$/u, "one line without control characters");

/** A provider service's URL (AVR HTTP services, or an STS WebSocket). */
export const ZProviderUrlSchema = z.url().refine((u) => /^(https?|wss?):\/\/[^\s]+$/.test(u), "an http(s) or ws(s) URL");

/** What an agent is told to do, and what it says first: free text for the LLM and TTS, never a config file. */
/** Free text (lines allowed): no NUL, which Postgres cannot store in text. */
export function freeText(max: number) {
  return z
    .string()
    .max(max, `at most ${max.toLocaleString("en")} characters`)
    .refine((text) => !text.includes("\u0000"), "no NUL characters");
}
export const ZPromptSchema = freeText(20_000);
export const ZGreetingSchema = freeText(2_000);
