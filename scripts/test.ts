// `npm test`: every test of every workspace, after set-up (scripts/dsai.sh runs it first).
//
// Workspaces run one after another: integration tests start Postgres servers, tofu applies and
// Chromium, and this machine has two cores. Each runner writes a JSON report; the run ends
// with one summary line over all of them, and exits non-zero if anything failed.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";

const repoRoot = resolve(import.meta.dirname, "..");

type TCounts = { passed: number; failed: number; skipped: number };
type TWorkspace = { dir: string; name: string; runner: "vitest" | "playwright"; hasTests: boolean };

function workspaces(): TWorkspace[] {
  const found: TWorkspace[] = [];
  // Order: shared packages first, then apps, then end-to-end (a broken package fails early).
  const dirs = ["packages", "apps"].flatMap((group) => {
    const base = join(repoRoot, group);
    return existsSync(base)
      ? readdirSync(base)
          .sort()
          .map((d) => join(base, d))
      : [];
  });
  dirs.push(join(repoRoot, "e2e"));
  for (const dir of dirs) {
    const pkgFile = join(dir, "package.json");
    if (!existsSync(pkgFile)) continue;
    const pkg = JSON.parse(readFileSync(pkgFile, "utf8")) as { name: string; scripts?: Record<string, string> };
    const runner = existsSync(join(dir, "playwright.config.ts")) ? "playwright" : "vitest";
    found.push({ dir, name: pkg.name, runner, hasTests: Boolean(pkg.scripts?.test) });
  }
  return found;
}

function runStreaming(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolvePromise) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ["ignore", "inherit", "inherit"] });
    child.on("error", (err) => {
      process.stderr.write(`test: cannot run ${cmd}: ${err.message}\n`);
      resolvePromise(127);
    });
    child.on("close", (code) => resolvePromise(code ?? 1));
  });
}

function vitestCounts(reportFile: string): TCounts | undefined {
  if (!existsSync(reportFile)) return undefined;
  const r = JSON.parse(readFileSync(reportFile, "utf8")) as {
    numPassedTests: number;
    numFailedTests: number;
    numPendingTests: number;
    numTodoTests: number;
  };
  return { passed: r.numPassedTests, failed: r.numFailedTests, skipped: r.numPendingTests + r.numTodoTests };
}

function playwrightCounts(reportFile: string): TCounts | undefined {
  if (!existsSync(reportFile)) return undefined;
  const r = JSON.parse(readFileSync(reportFile, "utf8")) as {
    stats: { expected: number; unexpected: number; flaky: number; skipped: number };
  };
  return { passed: r.stats.expected + r.stats.flaky, failed: r.stats.unexpected, skipped: r.stats.skipped };
}

async function runWorkspace(ws: TWorkspace, scratch: string): Promise<TCounts> {
  const report = join(scratch, `${ws.name.replace(/\W+/g, "_")}.json`);
  const env = { ...process.env, CI: process.env.CI ?? "true", NO_COLOR: process.env.NO_COLOR ?? "1" };
  const bin = (tool: string) => join(repoRoot, "node_modules", ".bin", tool);
  process.stdout.write(`\n== ${ws.name} (${relative(repoRoot, ws.dir)}, ${ws.runner})\n`);
  let code: number;
  let counts: TCounts | undefined;
  if (ws.runner === "vitest") {
    code = await runStreaming(bin("vitest"), ["run", "--reporter=default", "--reporter=json", `--outputFile.json=${report}`], ws.dir, env);
    counts = vitestCounts(report);
  } else {
    code = await runStreaming(bin("playwright"), ["test", "--reporter=list,json"], ws.dir, { ...env, PLAYWRIGHT_JSON_OUTPUT_NAME: report });
    counts = playwrightCounts(report);
  }
  if (!counts) {
    // The runner died before reporting (a syntax error, a crashed setup): count it as a failure.
    process.stdout.write(`test: ${ws.name} produced no report (exit ${code})\n`);
    return { passed: 0, failed: 1, skipped: 0 };
  }
  if (code !== 0 && counts.failed === 0) counts.failed = 1;
  return counts;
}

/** Lint of the whole repository and a type check of each workspace: one check each. */
async function staticChecks(list: TWorkspace[]): Promise<TCounts> {
  const counts: TCounts = { passed: 0, failed: 0, skipped: 0 };
  const bin = (tool: string) => join(repoRoot, "node_modules", ".bin", tool);
  const checks: { name: string; cmd: string; args: string[]; cwd: string }[] = [
    { name: "lint (biome)", cmd: bin("biome"), args: ["check", "."], cwd: repoRoot },
    ...["scripts", "bench"].map((dir) => ({
      name: `typecheck ${dir}/`,
      cmd: bin("tsc"),
      args: ["-p", ".", "--noEmit"],
      cwd: join(repoRoot, dir),
    })),
    ...list
      .filter((ws) => existsSync(join(ws.dir, "tsconfig.json")))
      .map((ws) => ({ name: `typecheck ${ws.name}`, cmd: bin("tsc"), args: ["-p", ".", "--noEmit"], cwd: ws.dir })),
  ];
  process.stdout.write("\n== static checks\n");
  for (const check of checks) {
    const code = await runStreaming(check.cmd, check.args, check.cwd, process.env);
    process.stdout.write(`${code === 0 ? "ok  " : "FAIL"} ${check.name}\n`);
    if (code === 0) counts.passed += 1;
    else counts.failed += 1;
  }
  return counts;
}

async function main(): Promise<void> {
  const started = performance.now();
  const scratch = mkdtempSync(join(tmpdir(), "dsai-test-"));
  const total: TCounts = { passed: 0, failed: 0, skipped: 0 };
  const rows: string[] = [];
  try {
    const list = workspaces();
    const checks = await staticChecks(list);
    total.passed += checks.passed;
    total.failed += checks.failed;
    rows.push(`  ${"static checks".padEnd(22)} ${checks.passed} passed, ${checks.failed} failed, 0 skipped`);
    for (const ws of list.filter((w) => w.hasTests)) {
      const c = await runWorkspace(ws, scratch);
      total.passed += c.passed;
      total.failed += c.failed;
      total.skipped += c.skipped;
      rows.push(`  ${ws.name.padEnd(22)} ${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped`);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  process.stdout.write(`\n== summary (${seconds} s)\n${rows.join("\n")}\n`);
  process.stdout.write(`${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped\n`);
  process.exit(total.failed > 0 ? 1 : 0);
}

main().catch((err: unknown) => {
  process.stderr.write(`test: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
