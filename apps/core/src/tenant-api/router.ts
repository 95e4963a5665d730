// The tenant API (tRPC at /trpc): what the tenant dashboard and the platform use to manage a
// tenant's agents, provider profiles, numbers, SIP trunks, phones, API keys and webhooks, to read
// its calls, usage and live calls, and — the platform only — to set its status and read its
// desired state. One router per domain; each procedure is a line over a named function of a
// data module (data/), whose inputs use the contracts' field rules (@dsai/contracts).
import { apiKeysRouter, webhooksRouter } from "./routers/access.ts";
import { agentsRouter } from "./routers/agents.ts";
import { callsRouter, usageRouter } from "./routers/calls.ts";
import { providerProfilesRouter } from "./routers/provider-profiles.ts";
import { numbersRouter, phonesRouter, trunksRouter } from "./routers/routing.ts";
import { tenantRouter } from "./routers/tenant.ts";
import { router } from "./trpc.ts";

export const tenantApiRouter = router({
  agents: agentsRouter,
  providerProfiles: providerProfilesRouter,
  numbers: numbersRouter,
  trunks: trunksRouter,
  phones: phonesRouter,
  apiKeys: apiKeysRouter,
  webhooks: webhooksRouter,
  calls: callsRouter,
  usage: usageRouter,
  tenant: tenantRouter,
});

/** The router's type, for the dashboard's and the platform's tRPC clients. */
export type TTenantApiRouter = typeof tenantApiRouter;
