export { createAdmin, type TAdmin } from "./admin.ts";
export { LICENSE_MIGRATIONS_DIR, openLicenseDatabase } from "./database.ts";
export { createLicenseServer, type TLicenseServer, type TLicenseServerOptions } from "./server.ts";
export type { TLicenseAdminRouter } from "./trpc.ts";
