// `npm start`: runs the platform locally with embedded defaults, after set-up.
//
// One embedded Postgres (data under .data/, git-ignored) holds every part's database, unless
// DATABASE_URL names an external server's admin URL. Each app that exists joins as a child
// process; Ctrl-C (or SIGTERM) stops the apps first, then Postgres, and exits when all are down.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { PLATFORM_MIGRATIONS_DIR } from "../packages/db/src/index.ts";
import { applyMigrations, ensureDatabase, startEmbeddedPostgres } from "../packages/postgres/src/index.ts";

const repoRoot = resolve(import.meta.dirname, "..");

type TApp = {
  name: string;
  /** Entry file relative to the repository; the app joins only once it exists. */
  entry: string;
  env: (databases: (name: string) => Promise<string>) => Promise<NodeJS.ProcessEnv>;
  /** Shown once the app started. */
  note?: string;
};

/** Apps in start order. Each gets its own database on the shared server. */
const APPS: TApp[] = [
  {
    name: "license",
    entry: "apps/license/src/main.ts",
    env: async (db) => ({
      LICENSE_DATABASE_URL: await db("dsai_license"),
      LICENSE_PORT: process.env.LICENSE_PORT ?? "7400",
      LICENSE_ADMIN_TOKEN: process.env.LICENSE_ADMIN_TOKEN ?? localSecret("license-admin-token"),
    }),
    note: "License Service on http://127.0.0.1:7400 (admin token for /trpc: .data/license-admin-token; CLI: npm run license -- help)",
  },
];

/** A random secret for local runs, generated once under .data/ (git-ignored, mode 0600). */
function localSecret(name: string): string {
  const file = join(repoRoot, ".data", name);
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${randomBytes(32).toString("base64url")}\n`, { mode: 0o600 });
  }
  return readFileSync(file, "utf8").trim();
}

function log(message: string): void {
  process.stdout.write(`start: ${message}\n`);
}

async function main(): Promise<void> {
  const external = process.env.DATABASE_URL;
  const postgres = external
    ? { adminUrl: external, stop: async () => {} }
    : await startEmbeddedPostgres({
        dataDir: join(repoRoot, ".data", "postgres"),
        port: Number(process.env.DSAI_POSTGRES_PORT ?? 0) || undefined,
      });
  log(external ? "using the Postgres at DATABASE_URL" : `embedded Postgres on ${new URL(postgres.adminUrl).host} (data: .data/postgres)`);
  // While it runs, tools (the license CLI) find this server here instead of starting their own.
  const urlFile = join(repoRoot, ".data", "postgres.url");
  if (!external) writeFileSync(urlFile, `${postgres.adminUrl}\n`, { mode: 0o600 });
  const database = (name: string) => ensureDatabase(postgres.adminUrl, name);

  if (existsSync(PLATFORM_MIGRATIONS_DIR)) {
    const url = await database("dsai_platform");
    const result = await applyMigrations({ url, migrationsDir: PLATFORM_MIGRATIONS_DIR });
    log(`platform database ready (${result.applied.length} migrations applied, ${result.alreadyApplied.length} already there)`);
  }

  const children: { name: string; child: ChildProcess }[] = [];
  let stopping = false;
  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    log("stopping ...");
    await Promise.all(
      children.map(
        ({ child }) =>
          new Promise<void>((done) => {
            if (child.exitCode !== null || child.signalCode !== null) return done();
            child.once("exit", () => done());
            child.kill("SIGTERM");
            // An app that ignores SIGTERM for 10 s is killed: Ctrl-C must always end the run.
            setTimeout(() => child.kill("SIGKILL"), 10_000).unref();
          }),
      ),
    );
    if (!external) rmSync(urlFile, { force: true });
    await postgres.stop();
    log("stopped");
    process.exit(code);
  };
  process.on("SIGINT", () => void stopAll(0));
  process.on("SIGTERM", () => void stopAll(0));

  for (const app of APPS) {
    if (!existsSync(join(repoRoot, app.entry))) continue;
    const env = { ...process.env, ...(await app.env(database)) };
    const child = spawn(process.execPath, ["--import", "tsx", app.entry], { cwd: repoRoot, env, stdio: "inherit" });
    children.push({ name: app.name, child });
    child.on("exit", (code, signal) => {
      if (stopping) return;
      log(`${app.name} exited (${signal ?? `code ${code}`}); stopping everything`);
      void stopAll(1);
    });
    log(`${app.name} started (pid ${child.pid})${app.note ? `: ${app.note}` : ""}`);
  }
  log(children.length === 0 ? "no apps yet: Postgres runs alone. Ctrl-C stops it." : "running. Ctrl-C stops everything.");
}

main().catch((err: unknown) => {
  process.stderr.write(`start failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
