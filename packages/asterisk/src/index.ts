export { AriError, createAsteriskControl, MODULE_OF_FILE, type TAsteriskControl, type TChannel, type TEndpoint } from "./control.ts";
export { asteriskInputOf, type TTenantDeployment } from "./from-desired-state.ts";
export { GENERATOR_VERSION, generateExtensions, generatePjsip, generateTenantConfig, type TTenantConfigFiles } from "./generate.ts";
export { TRANSPORTS, type TTenantNames, tenantNames } from "./names.ts";
export { ConfigParseError, parseAsteriskConfig, parseDialplan, type TParsedConfig } from "./parse.ts";
export * from "./tenant-data.ts";
export { applyTenantFiles, ReloadError, removeTenantFiles, tenantDir } from "./tenant-files.ts";
export { ALLOWED_APPS, actualObjects, duplicateNames, intendedObjects, TenantFilesMismatch, verifyTenantFiles } from "./verify.ts";
