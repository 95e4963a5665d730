// What the provisioning worker needs to know about the platform it provisions into, validated
// once at start: a missing or malformed setting stops the worker with every bad field named.
import { parseSecretKey, ZHostSchema, ZImageSchema } from "@dsai/contracts";
import { ZDockerNameSchema, ZKubernetesTargetSchema } from "@dsai/stacks";
import { z } from "zod";
import { InputError } from "../server/errors.ts";
import { ZSipRulesConfigSchema } from "../server/tenants/sip-rules.ts";

export const ZWorkerConfigSchema = z.strictObject({
  databaseUrl: z.url(),
  /** 32 bytes, base64: seals tenants' secrets and license keys in the platform database. */
  secretKey: z.base64().refine((k) => Buffer.from(k, "base64").length === 32, "32 bytes, base64"),
  baseDomain: ZHostSchema,
  /** Parent of the tenants' working directories (terraform-state/). */
  stateRoot: z.string().regex(/^\/[A-Za-z0-9._/-]+$/, "an absolute path"),
  images: z.strictObject({ core: ZImageSchema, postgres: ZImageSchema }),
  asteriskConfDir: z.string().regex(/^\/[A-Za-z0-9._/-]+$/, "an absolute path"),
  /** The platform Traefik's configuration folder, where each tenant's stack writes its route (none: no routes). */
  edgeRoutesDir: z
    .string()
    .regex(/^\/[A-Za-z0-9._/-]+$/, "an absolute path")
    .optional(),
  platformContainers: z.array(ZDockerNameSchema).max(8),
  /** Tenant routes are served by Traefik only to this range (its own network): cores cannot reach each other through it. */
  proxySourceRange: z.string().optional(),
  /** Names cores resolve to platform containers on their edge networks (license.<domain> -> Traefik). */
  edgeAliases: z.record(z.string(), z.array(z.string())).default({}),
  ari: z.strictObject({ url: z.url(), user: z.string().min(1), password: z.string().min(1) }).optional(),
  /** Where the shared Asterisk keeps call recordings on this machine (<dir>/<slug>/): a deleted tenant's are removed. */
  recordingsDir: z
    .string()
    .regex(/^\/[A-Za-z0-9._/-]+$/, "an absolute path")
    .optional(),
  /** Where tenant cores answer by their host name <slug>.<domain> (the platform's Traefik), to read a tenant's desired state. */
  tenantProxyUrl: z.url().optional(),
  /**
   * A Kubernetes cluster tenants may run on (a tenant's target): how tofu reaches it, and where
   * its ingress answers by the tenants' host names (to check a core after an apply and to read
   * its desired state). Without it, only the local Docker engine is offered.
   */
  kubernetes: z
    .strictObject({
      cluster: ZKubernetesTargetSchema,
      tenantProxyUrl: z.url().optional(),
    })
    .optional(),
  license: z.strictObject({
    /** Where the worker reaches the License Service's admin API. */
    adminUrl: z.url(),
    adminToken: z.string().min(16),
    /** Where tenant cores reach it (from inside their containers). */
    urlForCores: z.url(),
  }),
  /** A run's lease: a worker that stops renewing it (it died) loses the run after this long. */
  runLeaseMs: z.number().int().min(3_000).max(600_000).default(45_000),
  /** Re-apply every live tenant when the worker starts (the platform's start); tests leave it off. */
  reconcileOnStart: z.boolean().default(false),
  /** What one tenant may run here, checked when a change is planned. */
  limits: z
    .strictObject({
      /** Provider profiles that run as images: each is a container on this platform. */
      providerContainersPerTenant: z.number().int().min(0).max(100).default(8),
    })
    .prefault({}),
  /** Credit of a new tenant's license, in call seconds. */
  initialCreditSeconds: z.number().int().min(0).default(3_600),
  /** Where tenants' trunks may take calls from and send SIP to (see sip-rules.ts); defaults are safe. */
  sip: ZSipRulesConfigSchema.prefault({}),
});
export type TWorkerConfig = z.output<typeof ZWorkerConfigSchema>;

export function parseWorkerConfig(input: unknown): TWorkerConfig & { key: Buffer } {
  const config = InputError.parse(ZWorkerConfigSchema, input, "worker configuration");
  return { ...config, key: parseSecretKey(config.secretKey) };
}
