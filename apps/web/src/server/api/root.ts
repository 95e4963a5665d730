// The console's API: one router per domain.
import { adminRouter } from "./routers/admin.ts";
import { authRouter } from "./routers/auth.ts";
import { memberRouter } from "./routers/member.ts";
import { tenantRouter } from "./routers/tenant.ts";
import {
  agentRouter,
  apiKeyRouter,
  callRouter,
  numberRouter,
  phoneRouter,
  providerProfileRouter,
  trunkRouter,
  usageRouter,
  webhookRouter,
} from "./routers/tenant-data.ts";
import { createCallerFactory, router } from "./trpc.ts";

export const appRouter = router({
  auth: authRouter,
  tenant: tenantRouter,
  agent: agentRouter,
  providerProfile: providerProfileRouter,
  number: numberRouter,
  trunk: trunkRouter,
  phone: phoneRouter,
  apiKey: apiKeyRouter,
  webhook: webhookRouter,
  calls: callRouter,
  usage: usageRouter,
  member: memberRouter,
  admin: adminRouter,
});
export type TAppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
