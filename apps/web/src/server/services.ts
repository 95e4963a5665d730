// The console's server-side services, made once per process from the environment: the platform
// database, the provisioning queue (send-only here; the worker process works it) and settings.
import "server-only";
import { ZHostSchema } from "@dsai/contracts";
import { createPlatformClient, type PrismaClient } from "@dsai/db";
import { z } from "zod";
import { startQueue, type TRunQueue } from "./jobs/queue.ts";

const ZEnvSchema = z.object({
  DSAI_PLATFORM_DATABASE_URL: z.url(),
  DSAI_BASE_DOMAIN: ZHostSchema.default("dsai.localhost"),
});

type TServices = { db: PrismaClient; queue: TRunQueue; baseDomain: string };
const globalServices = globalThis as unknown as { dsaiServices?: Promise<TServices> };

export function services(): Promise<TServices> {
  globalServices.dsaiServices ??= (async () => {
    const env = ZEnvSchema.parse(process.env);
    const db = createPlatformClient(env.DSAI_PLATFORM_DATABASE_URL);
    const queue = await startQueue(env.DSAI_PLATFORM_DATABASE_URL, { worker: false });
    return { db, queue, baseDomain: env.DSAI_BASE_DOMAIN };
  })();
  return globalServices.dsaiServices;
}
