// The platform database for real: embedded Postgres, the committed migrations, Prisma queries
// through the pg driver adapter; and a check that the migrations create exactly the columns the
// Prisma schema declares (migrations are SQL files; a schema edit without one must fail here).
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { applyMigrations, createTestDatabase, startTestServer } from "@dsai/postgres";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPlatformClient, PLATFORM_MIGRATIONS_DIR } from "../src/index.ts";

const SCALARS = new Set(["String", "Int", "BigInt", "Boolean", "DateTime", "Json", "Float", "Decimal", "Bytes"]);

/** model -> column -> nullable, read from schema.prisma (relation fields have no column). */
function schemaColumns(): Map<string, Map<string, boolean>> {
  const text = readFileSync(new URL("../prisma/schema.prisma", import.meta.url), "utf8");
  const enums = new Set([...text.matchAll(/^enum (\w+) \{/gm)].map((m) => m[1] as string));
  const models = new Map<string, Map<string, boolean>>();
  for (const m of text.matchAll(/^model (\w+) \{([^}]*)\}/gm)) {
    const columns = new Map<string, boolean>();
    for (const line of (m[2] as string).split("\n")) {
      const f = /^\s+(\w+)\s+(\w+)(\?|\[\])?/.exec(line);
      if (!f || f[3] === "[]") continue;
      const type = f[2] as string;
      if (SCALARS.has(type) || enums.has(type)) columns.set(f[1] as string, f[3] === "?");
    }
    models.set(m[1] as string, columns);
  }
  return models;
}

let server: Awaited<ReturnType<typeof startTestServer>>;
let db: Awaited<ReturnType<typeof createTestDatabase>>;

beforeAll(async () => {
  server = await startTestServer();
  db = await createTestDatabase(server.adminUrl, "platform");
});

afterAll(async () => {
  await db?.close();
  await server?.stop();
});

describe("platform database", () => {
  it("applies the committed migrations once; a second run is a no-op", async () => {
    const first = await applyMigrations({ url: db.url, migrationsDir: PLATFORM_MIGRATIONS_DIR });
    expect(first.applied.length).toBeGreaterThan(0);
    const second = await applyMigrations({ url: db.url, migrationsDir: PLATFORM_MIGRATIONS_DIR });
    expect(second).toEqual({ applied: [], alreadyApplied: first.applied });
  });

  it("has exactly the tables and columns (with nullability) that schema.prisma declares", async () => {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ table_name: string; column_name: string; is_nullable: string }>(
        `SELECT table_name, column_name, is_nullable FROM information_schema.columns
         WHERE table_schema = 'public' AND table_name <> '_prisma_migrations'`,
      );
      const actual = new Map<string, Map<string, boolean>>();
      for (const r of rows) {
        const table = actual.get(r.table_name) ?? new Map<string, boolean>();
        table.set(r.column_name, r.is_nullable === "YES");
        actual.set(r.table_name, table);
      }
      const sorted = (m: Map<string, Map<string, boolean>>) =>
        Object.fromEntries([...m].sort().map(([t, cols]) => [t, Object.fromEntries([...cols].sort())]));
      expect(sorted(actual)).toEqual(sorted(schemaColumns()));
    } finally {
      await client.end();
    }
  });

  it("runs Prisma queries: a user owns a tenant with a queued provisioning run", async () => {
    const prisma = createPlatformClient(db.url);
    try {
      const suffix = randomBytes(4).toString("hex");
      const user = await prisma.user.create({ data: { email: `owner-${suffix}@example.test`, passwordHash: "$argon2id$placeholder" } });
      const tenant = await prisma.tenant.create({
        data: {
          slug: `acme-${suffix}`,
          name: "Acme",
          memberships: { create: { userId: user.id, role: "owner" } },
          runs: { create: { action: "create" } },
        },
      });
      const loaded = await prisma.tenant.findUniqueOrThrow({ where: { slug: tenant.slug }, include: { memberships: true, runs: true } });
      expect(loaded.status).toBe("provisioning");
      expect(loaded.memberships.map((m) => [m.userId, m.role])).toEqual([[user.id, "owner"]]);
      expect(loaded.runs.map((r) => [r.action, r.status, r.events])).toEqual([["create", "queued", []]]);
      await expect(prisma.tenant.create({ data: { slug: tenant.slug, name: "Copy" } })).rejects.toThrow(/Unique constraint/);
      // Deleting the user cascades to the membership but keeps the tenant.
      await prisma.user.delete({ where: { id: user.id } });
      expect(await prisma.membership.count({ where: { tenantId: tenant.id } })).toBe(0);
    } finally {
      await prisma.$disconnect();
    }
  });
});
