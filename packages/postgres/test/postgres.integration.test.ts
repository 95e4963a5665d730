import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyMigrations, createTestDatabase, startTestServer } from "../src/index.ts";

let server: Awaited<ReturnType<typeof startTestServer>>;
beforeAll(async () => {
  server = await startTestServer();
}, 60_000);
afterAll(async () => server?.stop());

function migrationsFolder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "dsai-migrations-"));
  for (const [name, sql] of Object.entries(files)) {
    mkdirSync(join(dir, name));
    writeFileSync(join(dir, name, "migration.sql"), sql);
  }
  return dir;
}

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

describe("migrations on a real Postgres", () => {
  it("applies pending migrations in order once, recording Prisma's history", async () => {
    const db = await createTestDatabase(server.adminUrl);
    const dir = migrationsFolder({
      "20260101000000_init": 'CREATE TABLE "Thing" (id int primary key, name text);',
      "20260102000000_more": 'ALTER TABLE "Thing" ADD COLUMN size int;',
    });
    expect(await applyMigrations({ url: db.url, migrationsDir: dir })).toEqual({
      applied: ["20260101000000_init", "20260102000000_more"],
      alreadyApplied: [],
    });
    const again = await applyMigrations({ url: db.url, migrationsDir: dir });
    expect(again.applied).toEqual([]);
    const history = await query<{ migration_name: string; checksum: string }>(
      db.url,
      'SELECT migration_name, checksum FROM "_prisma_migrations" ORDER BY migration_name',
    );
    expect(history.map((h) => h.migration_name)).toEqual(["20260101000000_init", "20260102000000_more"]);
    expect(history[0]?.checksum).toMatch(/^[0-9a-f]{64}$/);
    await db.close();
  });

  it("rolls back a failing migration completely and reports it", async () => {
    const db = await createTestDatabase(server.adminUrl);
    const dir = migrationsFolder({
      "20260101000000_init": 'CREATE TABLE "A" (id int);',
      "20260102000000_broken": 'CREATE TABLE "B" (id int); SELECT no_such_function();',
    });
    await expect(applyMigrations({ url: db.url, migrationsDir: dir })).rejects.toThrow(/20260102000000_broken failed/);
    const tables = await query<{ tablename: string }>(db.url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1");
    expect(tables.map((t) => t.tablename)).toEqual(["A", "_prisma_migrations"]);
    await db.close();
  });

  it("refuses a migration edited after it was applied", async () => {
    const db = await createTestDatabase(server.adminUrl);
    const dir = migrationsFolder({ "20260101000000_init": 'CREATE TABLE "A" (id int);' });
    await applyMigrations({ url: db.url, migrationsDir: dir });
    writeFileSync(join(dir, "20260101000000_init", "migration.sql"), 'CREATE TABLE "A" (id bigint);');
    await expect(applyMigrations({ url: db.url, migrationsDir: dir })).rejects.toThrow(/changed after it was applied/);
    await db.close();
  });
});
