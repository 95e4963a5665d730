// The console's production build, made only when its sources changed: a hash of everything the
// build reads (the app, the workspace packages it bundles, the lockfile) is kept beside it.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";

const SKIP = new Set(["node_modules", ".next", "test", "test-results"]);

function hashTree(hash: ReturnType<typeof createHash>, root: string, dir: string): void {
  for (const name of readdirSync(dir).sort()) {
    if (SKIP.has(name)) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) hashTree(hash, root, path);
    else hash.update(relative(root, path)).update("\0").update(readFileSync(path)).update("\0");
  }
}

export function consoleSourceHash(repoRoot: string): string {
  const hash = createHash("sha256");
  for (const dir of ["apps/web", "packages/contracts/src", "packages/db/src", "packages/db/prisma"])
    hashTree(hash, repoRoot, join(repoRoot, dir));
  hash.update(readFileSync(join(repoRoot, "package-lock.json")));
  return hash.digest("hex");
}

export async function ensureConsoleBuild(repoRoot: string, log: (line: string) => void): Promise<void> {
  const app = join(repoRoot, "apps", "web");
  const stamp = join(app, ".next", "dsai-source-hash");
  const wanted = consoleSourceHash(repoRoot);
  if (existsSync(stamp) && readFileSync(stamp, "utf8") === wanted) {
    log("console build: up to date");
    return;
  }
  log("console build: next build (sources changed) ...");
  const started = performance.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, "node_modules", "next", "dist", "bin", "next"), "build"], {
      cwd: app,
      env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      output += d.toString();
    });
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolve() : reject(new Error(`next build failed (exit ${code}):\n${output.trim().split("\n").slice(-30).join("\n")}`)),
    );
  });
  writeFileSync(stamp, wanted);
  log(`console build: done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
