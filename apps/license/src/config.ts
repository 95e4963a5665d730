// The License Service's configuration, read once from the environment through zod.
import { z } from "zod";

const ZEnvSchema = z.object({
  /** Postgres URL of the license database; without it main.ts starts an embedded server. */
  LICENSE_DATABASE_URL: z.string().url().optional(),
  LICENSE_HOST: z.string().default("127.0.0.1"),
  LICENSE_PORT: z.coerce.number().int().min(0).max(65535).default(7400),
  /** Bearer token of the platform's tRPC admin calls (>= 32 characters). */
  LICENSE_ADMIN_TOKEN: z.string().min(32, "at least 32 characters").optional(),
  /** How long an unsettled reservation holds credit. */
  LICENSE_RESERVATION_TTL_SECONDS: z.coerce.number().int().min(1).max(172_800).default(7_200),
  /** Per-key rate limit: sustained requests per second and burst. */
  LICENSE_RATE_PER_SECOND: z.coerce.number().positive().default(200),
  LICENSE_RATE_BURST: z.coerce.number().int().positive().default(400),
  LICENSE_DB_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(20),
});

export type TLicenseConfig = {
  databaseUrl: string | undefined;
  host: string;
  port: number;
  adminToken: string | undefined;
  reservationTtlSeconds: number;
  rateLimit: { perSecond: number; burst: number };
  poolSize: number;
};

export function readLicenseConfig(env: NodeJS.ProcessEnv = process.env): TLicenseConfig {
  const parsed = ZEnvSchema.safeParse(env);
  if (!parsed.success) {
    throw new Error(
      `invalid License Service configuration:\n${parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`).join("\n")}`,
    );
  }
  const e = parsed.data;
  return {
    databaseUrl: e.LICENSE_DATABASE_URL,
    host: e.LICENSE_HOST,
    port: e.LICENSE_PORT,
    adminToken: e.LICENSE_ADMIN_TOKEN,
    reservationTtlSeconds: e.LICENSE_RESERVATION_TTL_SECONDS,
    rateLimit: { perSecond: e.LICENSE_RATE_PER_SECOND, burst: e.LICENSE_RATE_BURST },
    poolSize: e.LICENSE_DB_POOL_SIZE,
  };
}
