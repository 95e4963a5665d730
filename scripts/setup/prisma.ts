// Prisma clients of every workspace that has a schema, generated offline. `prisma generate`
// does not run the schema engine, but Prisma insists on locating one and would download it:
// pointing PRISMA_SCHEMA_ENGINE_BINARY at any executable satisfies that check.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { TSetupConfig } from "./config.ts";
import { run } from "./exec.ts";
import { note } from "./progress.ts";

function schemasIn(repoRoot: string): string[] {
  const found: string[] = [];
  for (const group of ["apps", "packages"]) {
    const dir = join(repoRoot, group);
    if (!existsSync(dir)) continue;
    for (const ws of readdirSync(dir)) {
      if (existsSync(join(dir, ws, "prisma", "schema.prisma"))) found.push(join(dir, ws));
    }
  }
  return found;
}

export async function ensurePrismaClients(config: TSetupConfig): Promise<void> {
  const prismaCli = join(config.repoRoot, "node_modules", "prisma", "build", "index.js");
  const pkgVersion = JSON.parse(readFileSync(join(config.repoRoot, "node_modules", "prisma", "package.json"), "utf8")).version as string;
  for (const workspace of schemasIn(config.repoRoot)) {
    const schema = readFileSync(join(workspace, "prisma", "schema.prisma"));
    const key = createHash("sha256").update(schema).update(pkgVersion).digest("hex");
    const stamp = join(workspace, "src", "generated", ".schema-sha256");
    if (existsSync(stamp) && readFileSync(stamp, "utf8") === key) continue;
    note(`prisma generate in ${workspace.slice(config.repoRoot.length + 1)}`);
    await run(process.execPath, [prismaCli, "generate"], {
      cwd: workspace,
      env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: "/bin/true", PRISMA_HIDE_UPDATE_MESSAGE: "1", CHECKPOINT_DISABLE: "1" },
    });
    writeFileSync(stamp, key);
  }
}
