// What a tenant stack is made from: the tenant's desired state (@dsai/contracts, the tenant's
// own data) and its deployment — the facts and secrets that are not tenant data: images, where
// the shared Asterisk's configuration lives, the shared networks, the base domain, the tenant's
// secrets and license. Validated once, here, before anything is synthesized.
import {
  FieldIssuesError,
  parseOrThrow,
  type TFieldIssue,
  ZCidrSchema,
  ZHostSchema,
  ZImageSchema,
  ZLicenseKeySchema,
  ZPortSchema,
  ZTenantDesiredStateSchema,
  ZTokenSchema,
} from "@dsai/contracts";
import { z } from "zod";

/** Docker object names the stack joins (created by the platform stack). */
const ZDockerNameSchema = z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,62}$/, "a Docker object name");

export const ZTenantDeploymentSchema = z.strictObject({
  /** Tenants are served at <slug>.<baseDomain>. */
  baseDomain: ZHostSchema,
  images: z.strictObject({ core: ZImageSchema, postgres: ZImageSchema }),
  /** The shared Asterisk's configuration directory on this machine (its tenants/<slug>/ is the stack's). */
  asteriskConfDir: z.string().regex(/^\/[A-Za-z0-9._/-]+$/, "an absolute path of letters, digits, '.', '_', '-'"),
  /**
   * The platform's containers that reach the core (the shared Asterisk, Traefik): the provisioner
   * connects them to the tenant's edge network after an apply, and disconnects them before a destroy.
   */
  platformContainers: z.array(ZDockerNameSchema).max(8).default([]),
  /**
   * Traefik serves the tenant's route only to requests from this range — its own network, where
   * traffic from its published port arrives — so a core, which reaches Traefik on its edge
   * network, cannot call another tenant's core through it.
   */
  proxySourceRange: ZCidrSchema.refine((c) => !c.includes(":"), "an IPv4 network without a port").optional(),
  /**
   * The platform Traefik's configuration folder (file provider): the stack writes the tenant's
   * route there. Without it the core gets no route at <slug>.<baseDomain>.
   */
  edgeRoutesDir: z
    .string()
    .regex(/^\/[A-Za-z0-9._/-]+$/, "an absolute path of letters, digits, '.', '_', '-'")
    .optional(),
  /** Names by which the core reaches platform containers on its edge network (e.g. license.<domain> for Traefik). */
  edgeAliases: z.record(ZDockerNameSchema, z.array(ZHostSchema).max(8)).default({}),
  /** Publish the core's HTTP port on 127.0.0.1 (tests and local operation). */
  publishCoreHttpOn: ZPortSchema.optional(),
  secrets: z.strictObject({
    /** What the dialplan presents to the core. */
    tenantToken: ZTokenSchema,
    /** CORE_SECRET_KEY: 32 bytes, base64; seals the tenant's secrets at rest (and opens them here). */
    secretKey: z.base64().refine((k) => Buffer.from(k, "base64").length === 32, "32 bytes, base64"),
    /** Shared with the platform: it signs service tokens for the tenant API with it. */
    platformSecret: z.string().regex(/^[A-Za-z0-9_-]{32,128}$/, "32-128 URL-safe characters"),
    databasePassword: z.string().regex(/^[A-Za-z0-9_-]{24,128}$/, "24-128 URL-safe characters"),
  }),
  license: z.strictObject({ url: z.url(), id: z.uuid(), key: ZLicenseKeySchema }),
  /** Per-container limits. */
  limits: z
    .strictObject({
      coreMemoryMiB: z.number().int().min(64).max(16_384),
      providerMemoryMiB: z.number().int().min(64).max(16_384),
      databaseMemoryMiB: z.number().int().min(64).max(16_384),
      // Docker reports CPUs with one decimal; any other value would plan a change forever.
      cpus: z
        .number()
        .min(0.1)
        .max(64)
        .refine((c) => Math.abs(c * 10 - Math.round(c * 10)) < 1e-9, "a multiple of 0.1"),
    })
    .default({ coreMemoryMiB: 512, providerMemoryMiB: 512, databaseMemoryMiB: 256, cpus: 1 }),
});
export type TTenantDeployment = z.output<typeof ZTenantDeploymentSchema>;

export const ZTenantStackOptionsSchema = z.strictObject({
  desiredState: ZTenantDesiredStateSchema,
  deployment: ZTenantDeploymentSchema,
});
export type TTenantStackOptionsInput = z.input<typeof ZTenantStackOptionsSchema>;
export type TTenantStackOptions = z.output<typeof ZTenantStackOptionsSchema>;

export class TenantStackInputError extends FieldIssuesError {
  constructor(issues: TFieldIssue[]) {
    super("tenant stack input", issues);
  }
}

/** Validates the stack's input; throws TenantStackInputError naming every bad field, before any synthesis. */
export function parseTenantStackOptions(input: unknown): TTenantStackOptions {
  return parseOrThrow(ZTenantStackOptionsSchema, input, (issues) => new TenantStackInputError(issues));
}

/** Names of the tenant's objects; the slug makes them unique per tenant. */
export function tenantObjectNames(slug: string) {
  const prefix = `dsai-${slug}`;
  return {
    prefix,
    network: `${prefix}-net`,
    /** Between the core and the platform's shared Asterisk and Traefik, and nothing else. */
    edgeNetwork: `${prefix}-edge`,
    /** Only the core, when its HTTP port is published on 127.0.0.1 (an internal network cannot publish). */
    publishNetwork: `${prefix}-pub`,
    volume: `${prefix}-pgdata`,
    database: `${prefix}-db`,
    core: `${prefix}-core`,
    provider: (profileId: string) => `${prefix}-prov-${profileId}`,
    /** The core's host name on the shared networks (the Asterisk files and Traefik name it). */
    coreHost: `core-${slug}`,
  };
}

/** Ports inside the core container. */
export const CORE_PORTS = { http: 8080, audioSocket: 9092 } as const;
