// A tenant's desired state: everything its stack and the shared Asterisk need to run it — its
// status, agents, provider profiles, numbers, SIP trunks and WebRTC phones. The tenant core
// produces it from the tenant's own database (`tenant.desiredState`), provisioning applies it
// and stores the copy it applied. Secrets stay sealed with the tenant's key (secret-box.ts);
// whoever writes a config file opens them at that moment.
import { z } from "zod";
import {
  freeText,
  type TProviderKind,
  ZAgentModeSchema,
  ZCidrSchema,
  ZCodecSchema,
  ZDisplayNameSchema,
  ZEnvNameSchema,
  ZEnvValueSchema,
  ZExtensionSchema,
  ZGreetingSchema,
  ZHostSchema,
  ZImageSchema,
  ZLanguageSchema,
  ZNumberSchema,
  ZObjectIdSchema,
  ZPortSchema,
  ZPromptSchema,
  ZProviderKindSchema,
  ZProviderUrlSchema,
  ZSealedSecretSchema,
  ZSipUserSchema,
  ZSlugSchema,
  ZTenantStatusSchema,
  ZTrunkTransportSchema,
  ZVoiceSchema,
} from "./fields.ts";

/** Version of the Asterisk files a desired state is turned into; bumped when they change. */
export const GENERATOR_VERSION = 2;

export const ZProviderSettingsSchema = z.record(
  z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, "a setting name: letters, digits, '_'"),
  z.union([freeText(2_000), z.number().finite(), z.boolean()]),
);

/** Argument of a provider image's command (e.g. the service the providers image runs: `tts`). */
export const ZImageArgSchema = z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, "lowercase letters, digits and '-'");

/** How a provider profile runs: a local image the stack runs on the tenant's network, or an external service. */
export const ZProviderRuntimeSchema = z.discriminatedUnion("type", [
  z.strictObject({
    type: z.literal("image"),
    image: ZImageSchema,
    /** The port its AVR service listens on inside the container. */
    port: ZPortSchema,
    args: z.array(ZImageArgSchema).max(4).default([]),
    env: z.record(ZEnvNameSchema, ZEnvValueSchema).default({}),
  }),
  z.strictObject({ type: z.literal("url"), url: ZProviderUrlSchema }),
]);
export type TProviderRuntime = z.output<typeof ZProviderRuntimeSchema>;

export const ZProviderProfileSchema = z.strictObject({
  id: z.uuid(),
  name: ZDisplayNameSchema,
  kind: ZProviderKindSchema,
  runtime: ZProviderRuntimeSchema,
  settings: ZProviderSettingsSchema.default({}),
  /** An API key or similar, sealed with the tenant's key. */
  secret: ZSealedSecretSchema.optional(),
});
export type TProviderProfile = z.output<typeof ZProviderProfileSchema>;

export const ZAgentProfilesSchema = z.strictObject({
  asr: z.uuid().optional(),
  llm: z.uuid().optional(),
  tts: z.uuid().optional(),
  sts: z.uuid().optional(),
});

export const ZAgentSchema = z.strictObject({
  id: ZObjectIdSchema,
  name: ZDisplayNameSchema,
  mode: ZAgentModeSchema.default("pipeline"),
  profiles: ZAgentProfilesSchema.default({}),
  prompt: ZPromptSchema.default(""),
  greeting: ZGreetingSchema.default(""),
  language: ZLanguageSchema.default("en-US"),
  voice: ZVoiceSchema.optional(),
});
export type TAgent = z.output<typeof ZAgentSchema>;

export const ZNumberRouteSchema = z.strictObject({
  number: ZNumberSchema,
  agentId: ZObjectIdSchema,
  record: z.boolean().default(false),
});
export type TNumberRoute = z.output<typeof ZNumberRouteSchema>;

/** Fields a trunk has whether its password is sealed (desired state) or open (Asterisk input). */
export function trunkSchema<S extends z.ZodType<string>>(password: S) {
  return z.strictObject({
    id: ZObjectIdSchema,
    /** registration: we register to the provider; ip: the provider sends from known networks. */
    mode: z.enum(["registration", "ip"]),
    host: ZHostSchema,
    port: ZPortSchema.default(5060),
    transport: ZTrunkTransportSchema.default("udp"),
    username: ZSipUserSchema.optional(),
    password: password.optional(),
    /** Networks the provider's calls come from (mode ip). */
    match: z.array(ZCidrSchema).max(16).default([]),
    codecs: z.array(ZCodecSchema).min(1).max(5).default(["ulaw", "alaw"]),
  });
}

/** A WebRTC phone; its password is sealed (desired state) or open (Asterisk input). */
export function phoneSchema<S extends z.ZodType<string>>(password: S) {
  return z.strictObject({
    id: ZObjectIdSchema,
    extension: ZExtensionSchema,
    password,
    codecs: z.array(ZCodecSchema).min(1).max(5).default(["opus", "ulaw"]),
  });
}

type TRoutingData = {
  numbers: { number: string }[];
  trunks: { id: string; mode: "registration" | "ip"; username?: string | undefined; password?: string | undefined; match: string[] }[];
  phones: { id: string; extension: string }[];
};

/** Rules across objects shared by the desired state and the Asterisk input: no duplicates, complete trunks. */
export function checkRouting(t: TRoutingData, ctx: z.RefinementCtx): void {
  const dup = (values: string[], path: string, key: string) => {
    const seen = new Set<string>();
    for (const [i, v] of values.entries()) {
      if (seen.has(v)) ctx.addIssue({ code: "custom", path: [path, i, key], message: `duplicate ${v}` });
      seen.add(v);
    }
  };
  dup(
    t.numbers.map((n) => n.number),
    "numbers",
    "number",
  );
  dup(
    t.trunks.map((x) => x.id),
    "trunks",
    "id",
  );
  dup(
    t.phones.map((p) => p.id),
    "phones",
    "id",
  );
  dup(
    t.phones.map((p) => p.extension),
    "phones",
    "extension",
  );
  // Numbers and phone extensions share the phones' context: they must not overlap.
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
}

export const ZTenantDesiredStateSchema = z
  .strictObject({
    generatorVersion: z.number().int().min(1),
    slug: ZSlugSchema,
    status: ZTenantStatusSchema,
    agents: z.array(ZAgentSchema).max(200).default([]),
    providerProfiles: z.array(ZProviderProfileSchema).max(100).default([]),
    numbers: z.array(ZNumberRouteSchema).max(1000).default([]),
    trunks: z.array(trunkSchema(ZSealedSecretSchema)).max(50).default([]),
    phones: z.array(phoneSchema(ZSealedSecretSchema)).max(500).default([]),
  })
  .superRefine((t, ctx) => {
    checkRouting(t, ctx);
    const agents = new Set(t.agents.map((a) => a.id));
    for (const [i, n] of t.numbers.entries()) {
      if (!agents.has(n.agentId)) ctx.addIssue({ code: "custom", path: ["numbers", i, "agentId"], message: `no agent ${n.agentId}` });
    }
    const kinds = new Map(t.providerProfiles.map((p) => [p.id, p.kind]));
    for (const [i, a] of t.agents.entries()) {
      for (const [kind, id] of Object.entries(a.profiles)) {
        if (id !== undefined && kinds.get(id) !== kind) {
          ctx.addIssue({ code: "custom", path: ["agents", i, "profiles", kind], message: `no ${kind} provider profile ${id}` });
        }
      }
    }
  });
export type TTenantDesiredStateInput = z.input<typeof ZTenantDesiredStateSchema>;
export type TTenantDesiredState = z.output<typeof ZTenantDesiredStateSchema>;

/** Why a row of the tenant database is left out of its desired state (data older than today's rules). */
export type TRejectedRow = { table: string; key: string; issues: { path: string; message: string }[] };

/**
 * Where a tenant's core reaches a provider profile that runs as an image: the stack gives the
 * profile's container this host name on the tenant's private network.
 */
export const PROVIDER_HOST_PREFIX = "prov-";
export function providerServiceUrl(profile: { id: string; kind: TProviderKind; runtime: TProviderRuntime }): string {
  if (profile.runtime.type === "url") return profile.runtime.url;
  // Speech-to-speech is a WebSocket service; the others are HTTP (AVR).
  const scheme = profile.kind === "sts" ? "ws" : "http";
  return `${scheme}://${PROVIDER_HOST_PREFIX}${profile.id}:${profile.runtime.port}`;
}
