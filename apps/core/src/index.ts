// What other workspaces use of the core: the process itself, its configuration, the tenant
// API's router type (for the platform; service tokens are in @dsai/contracts), and the call simulator.
export { readCoreConfig, type TCoreConfig } from "./config.ts";
export { createCore, type TCore } from "./core.ts";
export { migrateTenantDatabase } from "./database.ts";
export { openCall, simulateCall, type TCallerStep, type TCallSummary } from "./simulator/simulate.ts";
export type { TTenantApiRouter } from "./tenant-api/router.ts";
