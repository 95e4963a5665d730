// The core's configuration, read once from the environment through zod. The platform's stack
// sets these on the tenant's core container.
import { ZSlugSchema } from "@dsai/contracts";
import { z } from "zod";

const ZEnvSchema = z.object({
  CORE_DATABASE_URL: z.string().url("the tenant database's Postgres URL"),
  CORE_HOST: z.string().default("127.0.0.1"),
  CORE_HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  CORE_AUDIOSOCKET_PORT: z.coerce.number().int().min(0).max(65535).default(9092),
  /** The per-tenant token the generated dialplan sends with POST /calls (>= 32 characters). */
  CORE_TENANT_TOKEN: z.string().min(32, "at least 32 characters"),
  CORE_LICENSE_URL: z.string().url(),
  CORE_LICENSE_ID: z.string().uuid(),
  CORE_LICENSE_KEY: z.string().startsWith("dsai_lk_", "a License Service API key (dsai_lk_...)"),
  /** Credit held at the License Service when a call starts; the call's usage settles it. */
  CORE_RESERVE_SECONDS: z.coerce.number().int().min(1).max(86_400).default(600),
  CORE_PROVIDER_RESPONSE_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
  CORE_PROVIDER_IDLE_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  CORE_TURN_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(600_000).default(30_000),
  CORE_CONNECT_GRACE_MS: z.coerce.number().int().min(1_000).max(600_000).default(30_000),
  CORE_OUTBOX_SWEEP_MS: z.coerce.number().int().min(100).max(600_000).default(5_000),
  /** 32 bytes, base64: encrypts provider and webhook secrets at rest (AES-256-GCM). */
  CORE_SECRET_KEY: z
    .string()
    .refine((v) => Buffer.from(v, "base64").length === 32, "32 bytes, base64-encoded")
    .optional(),
  /** Shared with the platform, which signs its service tokens for the tenant API with it. */
  CORE_PLATFORM_SECRET: z.string().min(32, "at least 32 characters").optional(),
  /** The tenant's slug, named in its desired state (set by the tenant's stack). */
  CORE_TENANT_SLUG: ZSlugSchema.optional(),
  /** "true" lets webhooks reach loopback and private addresses (development and tests only). */
  CORE_WEBHOOKS_ALLOW_INTERNAL: z.enum(["true", "false"]).default("false"),
  /**
   * "true" lets URL-type providers reach loopback and private addresses (development and tests
   * only: a tenant could otherwise point its "LLM" at the platform's services or the host).
   */
  CORE_PROVIDERS_ALLOW_INTERNAL: z.enum(["true", "false"]).default("false"),
  /** How often live calls are marked alive (bounds what a crash can leave unbilled). */
  CORE_HEARTBEAT_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
  /**
   * The slice (µs) the frame sender's thread asks the kernel for, so it preempts the busy main
   * thread when a frame is due (Linux 6.12+, no privilege; frame-sender.ts). 0 leaves it ordinary;
   * the kernel takes 100-100,000.
   */
  CORE_SENDER_SLICE_US: z.coerce
    .number()
    .int()
    .refine((v) => v === 0 || (v >= 100 && v <= 100_000), "0, or 100-100000")
    .default(100),
});

export type TCoreConfig = {
  databaseUrl: string;
  host: string;
  httpPort: number;
  audioSocketPort: number;
  tenantToken: string;
  license: { url: string; licenseId: string; apiKey: string; reserveSeconds: number };
  timeouts: { responseMs: number; idleMs: number };
  turnTimeoutMs: number;
  connectGraceMs: number;
  outboxSweepMs: number;
  heartbeatMs: number;
  senderSliceUs: number;
  secretKey: Buffer | undefined;
  platformSecret: string | undefined;
  tenantSlug: string | undefined;
  allowInternalWebhooks: boolean;
  allowInternalProviders: boolean;
};

export function readCoreConfig(env: NodeJS.ProcessEnv = process.env): TCoreConfig {
  const parsed = ZEnvSchema.safeParse(env);
  if (!parsed.success) {
    throw new Error(`invalid core configuration:\n${parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`).join("\n")}`);
  }
  const e = parsed.data;
  return {
    databaseUrl: e.CORE_DATABASE_URL,
    host: e.CORE_HOST,
    httpPort: e.CORE_HTTP_PORT,
    audioSocketPort: e.CORE_AUDIOSOCKET_PORT,
    tenantToken: e.CORE_TENANT_TOKEN,
    license: { url: e.CORE_LICENSE_URL, licenseId: e.CORE_LICENSE_ID, apiKey: e.CORE_LICENSE_KEY, reserveSeconds: e.CORE_RESERVE_SECONDS },
    timeouts: { responseMs: e.CORE_PROVIDER_RESPONSE_TIMEOUT_MS, idleMs: e.CORE_PROVIDER_IDLE_TIMEOUT_MS },
    turnTimeoutMs: e.CORE_TURN_TIMEOUT_MS,
    connectGraceMs: e.CORE_CONNECT_GRACE_MS,
    outboxSweepMs: e.CORE_OUTBOX_SWEEP_MS,
    heartbeatMs: e.CORE_HEARTBEAT_MS,
    senderSliceUs: e.CORE_SENDER_SLICE_US,
    secretKey: e.CORE_SECRET_KEY ? Buffer.from(e.CORE_SECRET_KEY, "base64") : undefined,
    platformSecret: e.CORE_PLATFORM_SECRET,
    tenantSlug: e.CORE_TENANT_SLUG,
    allowInternalWebhooks: e.CORE_WEBHOOKS_ALLOW_INTERNAL === "true",
    allowInternalProviders: e.CORE_PROVIDERS_ALLOW_INTERNAL === "true",
  };
}
