import { defineConfig } from "prisma/config";

// Prisma 7 reads the connection from here for CLI commands that need one (migrate deploy with
// the standard CLI where its native engine is available); our own runner takes the URL directly.
export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  datasource: { url: process.env.DATABASE_URL ?? "postgresql://localhost:5432/dsai" },
});
