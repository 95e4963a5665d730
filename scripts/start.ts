// `npm start`: runs the platform locally with embedded defaults, after set-up.
//
// One embedded Postgres (data under .data/, git-ignored) holds every part's database, unless
// DATABASE_URL names an external server's admin URL. The platform stack (Traefik and the shared
// Asterisk) is applied on the local Docker engine — nothing when it is up to date — and the
// console is built only when its sources changed. Then the License Service, the console and the
// provisioning worker run as child processes. Ctrl-C (or SIGTERM) stops them, then Postgres;
// tenants keep their containers and state, and the worker re-applies them on the next start.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { forwardFromGateway, hostGatewayOf, loadToolchain } from "@dsai/stacks";
import { PLATFORM_MIGRATIONS_DIR } from "../packages/db/src/index.ts";
import { applyMigrations, ensureDatabase, startEmbeddedPostgres } from "../packages/postgres/src/index.ts";
import { ensureConsoleBuild } from "./start/console-build.ts";
import { applyLocalPlatform } from "./start/platform.ts";

const repoRoot = resolve(import.meta.dirname, "..");
const env = process.env;
const ports = {
  console: Number(env.DSAI_CONSOLE_PORT ?? 3000),
  license: Number(env.LICENSE_PORT ?? 7400),
  http: Number(env.DSAI_HTTP_PORT ?? 8000),
  sip: Number(env.DSAI_SIP_PORT ?? 5060),
  ari: Number(env.DSAI_ARI_PORT ?? 8088),
};
const baseDomain = env.DSAI_BASE_DOMAIN ?? "dsai.localhost";
/** Where the platform keeps its data (Postgres, secrets, the shared Asterisk's files) and the tenants' tofu state. */
const dataDir = resolve(env.DSAI_DATA_DIR ?? join(repoRoot, ".data"));
const stateDir = resolve(env.DSAI_STATE_DIR ?? join(repoRoot, "terraform-state"));
/** The /24s of the network the cores and the shared Asterisk share, and of Traefik's (outside Docker's address pool). */
const asteriskSubnet = env.DSAI_ASTERISK_SUBNET ?? "172.30.249";
/**
 * A Kubernetes cluster tenants may also run on: its kubeconfig (tofu reaches the cluster with it)
 * and where its ingress answers by the tenants' host names. Without it, tenants run on Docker.
 */
const kubernetes = env.DSAI_KUBECONFIG
  ? {
      cluster: {
        configPath: resolve(env.DSAI_KUBECONFIG),
        // The nodes' and the API server's addresses, outside every tenant's egress.
        protectedNetworks: (env.DSAI_KUBERNETES_PROTECTED_NETWORKS ?? "")
          .split(",")
          .map((n) => n.trim())
          .filter(Boolean),
      },
      ...(env.DSAI_KUBERNETES_PROXY_URL && { tenantProxyUrl: env.DSAI_KUBERNETES_PROXY_URL }),
    }
  : undefined;
const traefikSubnet = `${env.DSAI_TRAEFIK_SUBNET ?? "172.30.246"}.0/24`;

/** A random secret for local runs, generated once under .data/ (git-ignored, mode 0600). */
function localSecret(name: string, make: () => string = () => randomBytes(32).toString("base64url")): string {
  const file = join(dataDir, name);
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${make()}\n`, { mode: 0o600 });
  }
  return readFileSync(file, "utf8").trim();
}

function parsePortRange(text: string): { first: number; last: number } {
  const m = /^(\d{4,5})-(\d{4,5})$/.exec(text);
  const range = m ? { first: Number(m[1]), last: Number(m[2]) } : undefined;
  if (!range || range.first % 2 !== 0 || range.last <= range.first || range.last > 65535)
    throw new Error(`DSAI_RTP_PORTS=${text}: give an even first port and a last one, e.g. 10000-10019`);
  return range;
}

/**
 * Call recordings: one folder per tenant, written by the shared Asterisk (a member of this
 * folder's group) and read by the console; nobody else may enter it.
 */
function recordingsFolder(): { dir: string; group: number } {
  const dir = join(dataDir, "recordings");
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o2770);
  return { dir, group: statSync(dir).gid };
}

function log(message: string): void {
  process.stdout.write(`start: ${message}\n`);
}

type TApp = { name: string; command: string[]; cwd?: string; env: NodeJS.ProcessEnv; note: string; readyUrl?: string };

/** Waits until `url` answers (any status below 500), so "running" is printed only when it is true. */
async function waitReady(name: string, url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await fetch(url, { signal: AbortSignal.timeout(2_000) }).then(
      (r) => r.status,
      () => 0,
    );
    if (status > 0 && status < 500) return;
    if (Date.now() > deadline) throw new Error(`${name} did not answer at ${url} within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * The tenants' state is the platform user's alone; its data folder too, but for passing through:
 * the embedded Postgres runs as a user of its own, which must reach its folder inside (its files
 * and every secret file here are 0600 or narrower).
 */
function ownFolders(): void {
  for (const [dir, mode] of [
    [stateDir, 0o700],
    [dataDir, 0o711],
  ] as const) {
    mkdirSync(dir, { recursive: true });
    chmodSync(dir, mode);
  }
}

async function main(): Promise<void> {
  ownFolders();
  const external = env.DATABASE_URL;
  const postgres = external
    ? { adminUrl: external, stop: async () => {} }
    : await startEmbeddedPostgres({ dataDir: join(dataDir, "postgres"), port: Number(env.DSAI_POSTGRES_PORT ?? 0) || undefined });
  log(
    external
      ? "using the Postgres at DATABASE_URL"
      : `embedded Postgres on ${new URL(postgres.adminUrl).host} (data: ${join(dataDir, "postgres")})`,
  );
  // While it runs, tools (the license CLI) find this server here instead of starting their own.
  const urlFile = join(dataDir, "postgres.url");
  if (!external) writeFileSync(urlFile, `${postgres.adminUrl}\n`, { mode: 0o600 });

  const children: { name: string; child: ChildProcess }[] = [];
  /** What else to undo when stopping (the gateway forwarders), after the apps are down. */
  const cleanups: (() => Promise<void>)[] = [];
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
            // The worker lets a running apply finish for up to 60 s; anything longer is killed
            // (the run is picked up again on the next start).
            setTimeout(() => child.kill("SIGKILL"), 70_000).unref();
          }),
      ),
    );
    for (const cleanup of cleanups) await cleanup().catch(() => {});
    if (!external) rmSync(urlFile, { force: true });
    await postgres.stop();
    log("stopped");
    process.exit(code);
  };
  process.on("SIGINT", () => void stopAll(0));
  process.on("SIGTERM", () => void stopAll(0));

  try {
    await startPlatform(
      postgres.adminUrl,
      children,
      () => stopping,
      stopAll,
      (cleanup) => cleanups.push(cleanup),
    );
  } catch (err) {
    process.stderr.write(`start failed: ${err instanceof Error ? err.message : String(err)}\n`);
    await stopAll(1);
  }
}

async function startPlatform(
  adminUrl: string,
  children: { name: string; child: ChildProcess }[],
  stopping: () => boolean,
  stopAll: (code: number) => Promise<void>,
  onStop: (cleanup: () => Promise<void>) => void,
): Promise<void> {
  const platformDb = await ensureDatabase(adminUrl, "dsai_platform");
  const migrated = await applyMigrations({ url: platformDb, migrationsDir: PLATFORM_MIGRATIONS_DIR });
  log(`platform database ready (${migrated.applied.length} migrations applied, ${migrated.alreadyApplied.length} already there)`);

  const images = JSON.parse(readFileSync(join(repoRoot, ".build", "images.json"), "utf8")) as Record<string, string>;
  const toolchain = loadToolchain();
  const ari = { user: "dsai", password: localSecret("ari-password") };
  const recordings = recordingsFolder();
  /** UDP ports the shared Asterisk's RTP uses, published 1:1 on 127.0.0.1 (one call: an even port and the odd one after). */
  const rtpPorts = parsePortRange(env.DSAI_RTP_PORTS ?? "10000-10019");
  const platform = await applyLocalPlatform({
    workDir: join(stateDir, ".platform"),
    toolchain,
    log,
    options: {
      name: env.DSAI_PLATFORM_NAME ?? "dsai-platform",
      images: { traefik: images.traefik as string, asterisk: images.asterisk as string },
      asteriskConfDir: join(dataDir, "asterisk"),
      asteriskNetwork: { subnet: `${asteriskSubnet}.0/24`, asteriskAddress: `${asteriskSubnet}.10` },
      ports: { http: ports.http, sip: ports.sip, ari: ports.ari },
      media: { address: "127.0.0.1", rtpPorts },
      recordings,
      ari,
      // The console at app.<domain> and the License Service at license.<domain> (cores report usage there).
      traefikNetwork: { subnet: traefikSubnet },
      traefikConfDir: join(dataDir, "traefik"),
      hostRoutes: [
        { name: "console", host: `app.${baseDomain}`, port: ports.console },
        { name: "license", host: `license.${baseDomain}`, port: ports.license },
      ],
    },
  });
  // Traefik reaches the console and the License Service on its network's gateway address only.
  const forwarding = await forwardFromGateway(hostGatewayOf(traefikSubnet), [ports.console, ports.license]);
  onStop(() => forwarding.close());
  await ensureConsoleBuild(repoRoot, log);

  const licenseAdminToken = env.LICENSE_ADMIN_TOKEN ?? localSecret("license-admin-token");
  // Seals tenants' secrets in the platform database (worker) and opens them (console).
  const platformSecretKey = env.DSAI_SECRET_KEY ?? localSecret("platform-secret-key", () => randomBytes(32).toString("base64"));
  const apps: TApp[] = [
    {
      name: "license",
      command: ["--import", "tsx", "apps/license/src/main.ts"],
      env: {
        LICENSE_DATABASE_URL: await ensureDatabase(adminUrl, "dsai_license"),
        LICENSE_PORT: String(ports.license),
        LICENSE_ADMIN_TOKEN: licenseAdminToken,
      },
      note: `License Service on http://127.0.0.1:${ports.license} (admin token: ${join(dataDir, "license-admin-token")}; CLI: npm run license -- help)`,
      readyUrl: `http://127.0.0.1:${ports.license}/healthz`,
    },
    {
      name: "console",
      command: [join(repoRoot, "node_modules", "next", "dist", "bin", "next"), "start", "-H", "127.0.0.1", "-p", String(ports.console)],
      cwd: join(repoRoot, "apps", "web"),
      env: {
        DSAI_PLATFORM_DATABASE_URL: platformDb,
        DSAI_BASE_DOMAIN: baseDomain,
        AUTH_SECRET: env.AUTH_SECRET ?? localSecret("auth-secret"),
        DSAI_SECRET_KEY: platformSecretKey,
        DSAI_TENANT_PROXY_URL: `http://127.0.0.1:${ports.http}`,
        LICENSE_URL: `http://127.0.0.1:${ports.license}`,
        LICENSE_ADMIN_TOKEN: licenseAdminToken,
        DSAI_RECORDINGS_DIR: recordings.dir,
        DSAI_PROVIDERS_IMAGE: images.providers,
        DSAI_TARGETS: kubernetes ? "docker,kubernetes" : "docker",
        ...(kubernetes?.tenantProxyUrl && { DSAI_KUBERNETES_PROXY_URL: kubernetes.tenantProxyUrl }),
        NEXT_TELEMETRY_DISABLED: "1",
      },
      note: `console on http://localhost:${ports.console}`,
      readyUrl: `http://127.0.0.1:${ports.console}/api/auth/csrf`,
    },
    {
      name: "worker",
      command: ["--import", "tsx", "apps/web/src/worker/main.ts"],
      env: {
        DSAI_WORKER_CONFIG: JSON.stringify({
          databaseUrl: platformDb,
          secretKey: platformSecretKey,
          baseDomain,
          stateRoot: stateDir,
          images: { core: images.core, postgres: images.postgres },
          asteriskConfDir: platform.asteriskConfDir,
          edgeRoutesDir: platform.traefikConfDir,
          platformContainers: platform.containers,
          ari: platform.ari,
          tenantProxyUrl: `http://127.0.0.1:${ports.http}`,
          proxySourceRange: traefikSubnet,
          // Calls from this machine reach the shared Asterisk from its network's gateway: a trunk may take them.
          sip: { localNetworks: [`${hostGatewayOf(`${asteriskSubnet}.0/24`)}/32`] },
          recordingsDir: recordings.dir,
          ...(kubernetes && { kubernetes }),
          edgeAliases: { [platform.traefikContainer]: [`license.${baseDomain}`] },
          license: {
            adminUrl: `http://127.0.0.1:${ports.license}`,
            adminToken: licenseAdminToken,
            urlForCores: `http://license.${baseDomain}`,
          },
          reconcileOnStart: true,
        }),
      },
      note: "provisioning worker",
    },
  ];

  for (const app of apps) {
    const child = spawn(process.execPath, app.command, { cwd: app.cwd ?? repoRoot, env: { ...env, ...app.env }, stdio: "inherit" });
    children.push({ name: app.name, child });
    child.on("exit", (code, signal) => {
      if (stopping()) return;
      log(`${app.name} exited (${signal ?? `code ${code}`}); stopping everything`);
      void stopAll(1);
    });
    if (app.readyUrl) await waitReady(app.name, app.readyUrl);
    log(`${app.name} started (pid ${child.pid}): ${app.note}`);
  }
  log(
    `tenants are served at http://<slug>.${baseDomain}:${ports.http} (Traefik); SIP on udp 127.0.0.1:${ports.sip} (RTP ${rtpPorts.first}-${rtpPorts.last})`,
  );
  log(`running. Open http://localhost:${ports.console} — Ctrl-C stops everything.`);
}

main().catch((err: unknown) => {
  process.stderr.write(`start failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
