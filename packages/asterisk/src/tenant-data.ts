// The tenant data that reaches Asterisk files, validated field by field. Every value must match
// a strict pattern for what it is (a slug, an id, a number, a host, a codec, a secret) or the
// whole tenant is rejected: nothing is ever escaped, so no value can carry a newline, `;`, `[`,
// `]`, `,`, `$`, `{`, `}`, `#`, quotes or spaces into a config file.
import { z } from "zod";

/** DNS label (the tenant's host is <slug>.<base domain>); no `_`, which names use as separator. */
export const ZSlugSchema = z
  .string()
  .regex(/^[a-z](?:[a-z0-9-]{0,30}[a-z0-9])?$/, "a DNS label: lowercase letters, digits and '-', 1-32 characters, starting with a letter");

/**
 * Ids of agents, trunks and phones within a tenant. At most 24 characters so that the longest
 * name built from them fits Asterisk's 79-character section names, which it truncates silently
 * (`dsai_` + 32-character slug + `_trunk_` + 24 + `_identify` = 77; see names.ts).
 */
export const ZObjectIdSchema = z
  .string()
  .regex(/^[a-z0-9](?:[a-z0-9-]{0,22}[a-z0-9])?$/, "lowercase letters, digits and '-', 1-24 characters");

/** A DID in E.164 (with or without '+') or an internal extension: digits only. */
export const ZNumberSchema = z.string().regex(/^\+?[0-9]{2,15}$/, "2-15 digits, optionally after '+'");

/** A host name or IPv4 address (no ports, no user info). */
export const ZHostSchema = z
  .string()
  .regex(
    /^(?:(?:25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])(?:\.(?:25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])){3}|(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*)$/,
    "a lowercase host name or an IPv4 address",
  );

/**
 * IPv4 network for `identify` matching, optionally with the source port the provider sends from
 * (Asterisk's own `address:port/prefix` form), e.g. 203.0.113.0/24 or 203.0.113.5:5060/32.
 */
export const ZCidrSchema = z
  .string()
  .regex(
    /^(?:(?:25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])(?::(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3}))?\/(?:3[0-2]|[12]?[0-9])$/,
    "an IPv4 network such as 203.0.113.0/24, optionally with a source port: 203.0.113.5:5060/32",
  );

export const ZPortSchema = z.number().int().min(1).max(65535);

/** SIP user names and passwords: no character that means anything in Asterisk's syntax. */
export const ZSipUserSchema = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, "letters, digits, '.', '_' or '-', 1-64 characters");
export const ZSecretSchema = z.string().regex(/^[A-Za-z0-9._~+/=-]{12,128}$/, "12-128 characters of letters, digits and . _ ~ + / = -");

/** The tenant token the dialplan presents to the core (random, URL-safe). */
export const ZTokenSchema = z.string().regex(/^[A-Za-z0-9_-]{32,128}$/, "32-128 URL-safe characters");

export const CODECS = ["ulaw", "alaw", "g722", "opus", "slin"] as const;
export const ZCodecSchema = z.enum(CODECS);

export const ZTrunkSchema = z.strictObject({
  id: ZObjectIdSchema,
  /** registration: we register to the provider; ip: the provider sends from known networks. */
  mode: z.enum(["registration", "ip"]),
  host: ZHostSchema,
  port: ZPortSchema.default(5060),
  transport: z.enum(["udp", "tcp"]).default("udp"),
  username: ZSipUserSchema.optional(),
  password: ZSecretSchema.optional(),
  /** Networks the provider's calls come from (mode ip). */
  match: z.array(ZCidrSchema).max(16).default([]),
  codecs: z.array(ZCodecSchema).min(1).max(5).default(["ulaw", "alaw"]),
});

export const ZPhoneSchema = z.strictObject({
  id: ZObjectIdSchema,
  /** The internal extension that rings this phone. */
  extension: z.string().regex(/^[0-9]{2,6}$/, "2-6 digits"),
  password: ZSecretSchema,
  codecs: z.array(ZCodecSchema).min(1).max(5).default(["opus", "ulaw"]),
});

export const ZNumberRouteSchema = z.strictObject({
  number: ZNumberSchema,
  agentId: ZObjectIdSchema,
  record: z.boolean().default(false),
});

export const ZTenantAsteriskSchema = z
  .strictObject({
    slug: ZSlugSchema,
    status: z.enum(["active", "suspended"]),
    core: z.strictObject({ host: ZHostSchema, httpPort: ZPortSchema, audioSocketPort: ZPortSchema }),
    token: ZTokenSchema,
    numbers: z.array(ZNumberRouteSchema).max(1000).default([]),
    trunks: z.array(ZTrunkSchema).max(50).default([]),
    phones: z.array(ZPhoneSchema).max(500).default([]),
  })
  .superRefine((t, ctx) => {
    const dup = (values: string[], path: string) => {
      const seen = new Set<string>();
      for (const [i, v] of values.entries()) {
        if (seen.has(v)) ctx.addIssue({ code: "custom", path: [path, i], message: `duplicate ${v}` });
        seen.add(v);
      }
    };
    dup(
      t.numbers.map((n) => n.number),
      "numbers",
    );
    dup(
      t.trunks.map((x) => x.id),
      "trunks",
    );
    dup(
      t.phones.map((p) => p.id),
      "phones",
    );
    // Numbers and phone extensions share the inbound context: they must not overlap.
    const numbers = new Set(t.numbers.map((n) => n.number));
    for (const [i, p] of t.phones.entries()) {
      if (numbers.has(p.extension))
        ctx.addIssue({ code: "custom", path: ["phones", i, "extension"], message: `extension ${p.extension} is also a number` });
    }
    for (const [i, trunk] of t.trunks.entries()) {
      if (trunk.mode === "registration" && (!trunk.username || !trunk.password)) {
        ctx.addIssue({ code: "custom", path: ["trunks", i, "username"], message: "a registration trunk needs username and password" });
      }
      if (trunk.mode === "ip" && trunk.match.length === 0) {
        ctx.addIssue({ code: "custom", path: ["trunks", i, "match"], message: "an ip trunk needs at least one network to match" });
      }
    }
  });

export type TTenantAsteriskInput = z.input<typeof ZTenantAsteriskSchema>;
export type TTenantAsterisk = z.output<typeof ZTenantAsteriskSchema>;
export type TTrunk = z.output<typeof ZTrunkSchema>;
export type TPhone = z.output<typeof ZPhoneSchema>;

export class TenantDataError extends Error {
  constructor(readonly issues: { path: string; message: string }[]) {
    super(`invalid tenant Asterisk data:\n${issues.map((i) => `  ${i.path}: ${i.message}`).join("\n")}`);
  }
}

/** Validates tenant data; throws TenantDataError naming every bad field. */
export function parseTenantData(input: unknown): TTenantAsterisk {
  const result = ZTenantAsteriskSchema.safeParse(input);
  if (result.success) return result.data;
  throw new TenantDataError(result.error.issues.map((i) => ({ path: i.path.join(".") || "(root)", message: i.message })));
}
