// The console's server-side services, made once per process from the environment: the platform
// database, the provisioning queue (send-only here; the worker process works it) and settings.
import "server-only";
import { ZHostSchema, ZImageSchema } from "@dsai/contracts";
import { createPlatformClient, type PrismaClient } from "@dsai/db";
import { z } from "zod";
import { startQueue, type TRunQueue } from "./jobs/queue.ts";
import { createLicenseAdmin, type TLicenseAdmin } from "./license/admin-client.ts";
import { recordingStore, type TRecordingStore } from "./recordings/store.ts";
import { type TCoreEndpoint, viaProxy } from "./tenant-core/client.ts";
import { DEFAULT_MAX_TENANTS_PER_OWNER, DEPLOY_TARGETS, type TDeployTarget } from "./tenants/lifecycle.ts";

const ZEnvSchema = z.object({
  DSAI_PLATFORM_DATABASE_URL: z.url(),
  DSAI_BASE_DOMAIN: ZHostSchema.default("dsai.localhost"),
  /** 32 bytes, base64: opens tenants' sealed platform secrets (the worker seals them with it). */
  DSAI_SECRET_KEY: z.base64().refine((k) => Buffer.from(k, "base64").length === 32, "32 bytes, base64"),
  /** Where tenant cores answer, by their host name <slug>.<domain> (the local platform's Traefik). */
  DSAI_TENANT_PROXY_URL: z.url(),
  /** Where cores of tenants on Kubernetes answer by host name (the cluster's ingress). */
  DSAI_KUBERNETES_PROXY_URL: z.url().optional(),
  /** The License Service's admin API: credits on the usage page, licenses on the admin pages. */
  LICENSE_URL: z.url().optional(),
  LICENSE_ADMIN_TOKEN: z.string().min(16).optional(),
  /** Where the shared Asterisk keeps call recordings (<dir>/<slug>/<call id>.wav), when on this machine. */
  DSAI_RECORDINGS_DIR: z
    .string()
    .regex(/^\/[A-Za-z0-9._/-]+$/, "an absolute path")
    .optional(),
  /** The platform's providers image, offered to tenants as offline profiles. */
  DSAI_PROVIDERS_IMAGE: ZImageSchema.optional(),
  /** Where tenants can run, comma-separated: docker (this machine), kubernetes (the worker's cluster). */
  DSAI_TARGETS: z
    .string()
    .default("docker")
    .transform((v) => v.split(",").map((t) => t.trim()))
    .pipe(z.array(z.enum(DEPLOY_TARGETS)).min(1)),
  /** How many live tenants one account may own: each runs containers on this platform. */
  DSAI_MAX_TENANTS_PER_ACCOUNT: z.coerce.number().int().min(1).max(10_000).default(DEFAULT_MAX_TENANTS_PER_OWNER),
  /** Users with these emails are platform admins (comma-separated). */
  DSAI_PLATFORM_ADMIN_EMAILS: z.string().default(""),
});

type TServices = {
  db: PrismaClient;
  queue: TRunQueue;
  baseDomain: string;
  cores: { endpoint: TCoreEndpoint; secretKey: Buffer; kubernetesEndpoint?: TCoreEndpoint };
  license?: TLicenseAdmin;
  recordings?: TRecordingStore;
  providersImage?: string;
  targets: readonly TDeployTarget[];
  maxTenantsPerOwner: number;
  platformAdmins: Set<string>;
};
const globalServices = globalThis as unknown as { dsaiServices?: Promise<TServices> };

export function services(): Promise<TServices> {
  globalServices.dsaiServices ??= (async () => {
    const env = ZEnvSchema.parse(process.env);
    const db = createPlatformClient(env.DSAI_PLATFORM_DATABASE_URL);
    const queue = await startQueue(env.DSAI_PLATFORM_DATABASE_URL, { worker: false });
    return {
      db,
      queue,
      baseDomain: env.DSAI_BASE_DOMAIN,
      cores: {
        endpoint: viaProxy(env.DSAI_TENANT_PROXY_URL),
        secretKey: Buffer.from(env.DSAI_SECRET_KEY, "base64"),
        ...(env.DSAI_KUBERNETES_PROXY_URL && { kubernetesEndpoint: viaProxy(env.DSAI_KUBERNETES_PROXY_URL) }),
      },
      ...(env.LICENSE_URL &&
        env.LICENSE_ADMIN_TOKEN && { license: createLicenseAdmin({ url: env.LICENSE_URL, adminToken: env.LICENSE_ADMIN_TOKEN }) }),
      targets: env.DSAI_TARGETS,
      maxTenantsPerOwner: env.DSAI_MAX_TENANTS_PER_ACCOUNT,
      ...(env.DSAI_PROVIDERS_IMAGE && { providersImage: env.DSAI_PROVIDERS_IMAGE }),
      ...(env.DSAI_RECORDINGS_DIR && { recordings: recordingStore(env.DSAI_RECORDINGS_DIR) }),
      platformAdmins: new Set(
        env.DSAI_PLATFORM_ADMIN_EMAILS.split(",")
          .map((e) => e.trim().toLowerCase())
          .filter(Boolean),
      ),
    };
  })();
  return globalServices.dsaiServices;
}
