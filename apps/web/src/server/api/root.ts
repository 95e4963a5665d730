// The console's API: one router per domain.
import { authRouter } from "./routers/auth.ts";
import { tenantRouter } from "./routers/tenant.ts";
import { createCallerFactory, router } from "./trpc.ts";

export const appRouter = router({ auth: authRouter, tenant: tenantRouter });
export type TAppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
