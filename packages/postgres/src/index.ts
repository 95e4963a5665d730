export { dropDatabase, ensureDatabase, withDatabase } from "./databases.ts";
export { freePort, startEmbeddedPostgres, type TEmbeddedOptions, type TRunningPostgres } from "./embedded.ts";
export { applyMigrations, listMigrations, type TMigrationResult } from "./migrations.ts";
export { databaseColumns, prismaSchemaColumns, sortColumns, type TColumns } from "./schema-drift.ts";
export { createTestDatabase, startTestServer, type TTestDatabase } from "./testing.ts";
