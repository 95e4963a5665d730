// The platform database for real: embedded Postgres, the committed migrations, Prisma queries
// through the pg driver adapter; and a check that the migrations create exactly the columns the
// Prisma schema declares (migrations are SQL files; a schema edit without one must fail here).
import { randomBytes } from "node:crypto";
import { applyMigrations, createTestDatabase, databaseColumns, prismaSchemaColumns, sortColumns, startTestServer } from "@dsai/postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPlatformClient, PLATFORM_MIGRATIONS_DIR } from "../src/index.ts";

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
    const declared = prismaSchemaColumns(new URL("../prisma/schema.prisma", import.meta.url).pathname);
    expect(sortColumns(await databaseColumns(db.url))).toEqual(sortColumns(declared));
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
          runs: { create: { action: "create", events: { create: [{ seq: 1, event: { type: "phase", phase: "synth" } }] } } },
        },
      });
      const loaded = await prisma.tenant.findUniqueOrThrow({
        where: { slug: tenant.slug },
        include: { memberships: true, runs: { include: { events: true } } },
      });
      expect(loaded.status).toBe("provisioning");
      expect(loaded.memberships.map((m) => [m.userId, m.role])).toEqual([[user.id, "owner"]]);
      expect(loaded.runs.map((r) => [r.action, r.status, r.progress, r.events.map((e) => e.event)])).toEqual([
        ["create", "queued", 0, [{ type: "phase", phase: "synth" }]],
      ]);
      await expect(prisma.tenant.create({ data: { slug: tenant.slug, name: "Copy" } })).rejects.toThrow(/Unique constraint/);
      // Deleting the user cascades to the membership but keeps the tenant.
      await prisma.user.delete({ where: { id: user.id } });
      expect(await prisma.membership.count({ where: { tenantId: tenant.id } })).toBe(0);
    } finally {
      await prisma.$disconnect();
    }
  });
});
