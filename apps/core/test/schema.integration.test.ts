// The tenant database's migrations create exactly the tables and columns schema.prisma
// declares: migrations are hand-written SQL (see the root README), so a schema edit without a
// matching migration, or the reverse, fails here.
import { applyMigrations, createTestDatabase, databaseColumns, prismaSchemaColumns, sortColumns, startTestServer } from "@dsai/postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CORE_MIGRATIONS_DIR } from "../src/database.ts";

let server: Awaited<ReturnType<typeof startTestServer>>;
let db: Awaited<ReturnType<typeof createTestDatabase>>;

beforeAll(async () => {
  server = await startTestServer();
  db = await createTestDatabase(server.adminUrl, "tenant_schema");
  await applyMigrations({ url: db.url, migrationsDir: CORE_MIGRATIONS_DIR });
});

afterAll(async () => {
  await db?.close();
  await server?.stop();
});

describe("tenant database schema", () => {
  it("has exactly the tables and columns (with nullability) that schema.prisma declares", async () => {
    const declared = prismaSchemaColumns(new URL("../prisma/schema.prisma", import.meta.url).pathname);
    expect(sortColumns(await databaseColumns(db.url))).toEqual(sortColumns(declared));
  });
});
