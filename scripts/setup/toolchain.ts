// The infrastructure toolchain: a tofu (or terraform) binary and the pinned providers, served
// from a local filesystem mirror so `tofu init` never touches the network.
//
// Built binaries are cached under <cache>/toolchain keyed by version and commit; a failed build
// keeps the previous binary (builds write a temporary file that is renamed only on success).
import { copyFileSync, existsSync, linkSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { TToolchainResolved } from "../../packages/stacks/src/toolchain.ts";
import toolchain from "../../packages/stacks/toolchain.json" with { type: "json" };
import type { TSetupConfig } from "./config.ts";
import { probe, run, which } from "./exec.ts";
import { note } from "./progress.ts";
import { ensureSystemTools, SYSTEM_TOOLS } from "./system-packages.ts";

/** Registry host names a provider address can resolve to: OpenTofu's and Terraform's defaults. */
const REGISTRY_HOSTS = ["registry.opentofu.org", "registry.terraform.io"];

function versionAtLeast(actual: string, minimum: string): boolean {
  const a = actual.split(".").map(Number);
  const m = minimum.split(".").map(Number);
  for (let i = 0; i < 3; i++) {
    const x = a[i] ?? 0;
    const y = m[i] ?? 0;
    if (x !== y) return x > y;
  }
  return true;
}

/** `tofu version` / `terraform version` -> kind and version, or undefined when it is neither. */
function identify(bin: string): { kind: "tofu" | "terraform"; version: string } | undefined {
  const r = probe(bin, ["version"], { ...process.env, TF_CLI_CONFIG_FILE: "/dev/null", CHECKPOINT_DISABLE: "1" });
  const m = /^(OpenTofu|Terraform) v(\d+\.\d+\.\d+)/m.exec(r.output);
  if (!r.ok || !m?.[1] || !m[2]) return undefined;
  return { kind: m[1] === "OpenTofu" ? "tofu" : "terraform", version: m[2] };
}

function fits(found: { kind: "tofu" | "terraform"; version: string }): boolean {
  const min = found.kind === "tofu" ? toolchain.opentofu.minimumTofu : toolchain.opentofu.minimumTerraform;
  return versionAtLeast(found.version, min);
}

/** `go build` of `pkg` in the Go module at `moduleDir`, static, into `target` (replaced only when the build succeeds). */
export async function goBuild(moduleDir: string, pkg: string, ldflags: string, target: string): Promise<void> {
  await ensureSystemTools(SYSTEM_TOOLS.filter((t) => t.command === "go"));
  mkdirSync(join(target, ".."), { recursive: true });
  const tmp = `${target}.building-${process.pid}`;
  // A Go build of a large module is silent for minutes: say it is alive, and how long it took.
  const started = performance.now();
  const elapsed = () => `${Math.round((performance.now() - started) / 1000)} s`;
  const alive = setInterval(() => note(`  still building ${pkg} (${elapsed()})`), 30_000);
  try {
    await run("go", ["build", "-trimpath", `-ldflags=${ldflags}`, "-o", tmp, pkg], {
      cwd: moduleDir,
      // The go.mod/go.sum are committed: a build must not rewrite them.
      env: { ...process.env, GOFLAGS: "-mod=readonly", CGO_ENABLED: "0" },
    });
    renameSync(tmp, target);
    note(`  built ${pkg} in ${elapsed()}`);
  } finally {
    clearInterval(alive);
    rmSync(tmp, { force: true });
  }
}

/** Binaries the platform runs in its own images (Traefik), built like the providers. */
async function ensureServices(config: TSetupConfig): Promise<Record<string, string>> {
  const built: Record<string, string> = {};
  for (const s of toolchain.services) {
    const bin = join(config.cacheDir, "toolchain", s.name, s.version, s.name);
    if (!existsSync(bin)) {
      note(`building ${s.name} ${s.version} with go build (first run only; about ${s.minutes} minutes on 2 cores)`);
      await goBuild(join(config.repoRoot, s.goModule), s.package, s.ldflags, bin);
    }
    built[s.name] = bin;
  }
  return built;
}

async function resolveTofu(config: TSetupConfig): Promise<{ bin: string; kind: "tofu" | "terraform"; version: string }> {
  const override = config.tofuOverride;
  if (override && override !== "build") {
    const found = identify(override);
    if (!found) throw new Error(`DSAI_TOFU=${override} is not a working tofu or terraform executable`);
    return { bin: override, ...found };
  }
  if (!override) {
    for (const name of ["tofu", "terraform"]) {
      const bin = which(name);
      const found = bin ? identify(bin) : undefined;
      if (bin && found && fits(found)) return { bin, ...found };
    }
  }
  const { version, goModule, package: pkg, ldflags } = toolchain.opentofu;
  const root = join(config.cacheDir, "toolchain", "opentofu");
  const bin = join(root, version, "tofu");
  if (!existsSync(bin)) {
    note(`building OpenTofu ${version} with go build (first run only; a few minutes)`);
    try {
      await goBuild(join(config.repoRoot, goModule), pkg, ldflags, bin);
    } catch (err) {
      // A failed build of a newer pin keeps the machine working with the previous one.
      const previous = previousBuild(root);
      if (!previous) throw err;
      note(`OpenTofu ${version} failed to build; keeping the cached ${previous.version}:\n${(err as Error).message}`);
      return { bin: previous.bin, kind: "tofu", version: previous.version };
    }
  }
  return { bin, kind: "tofu", version };
}

/** The newest OpenTofu already built in the cache, if any. */
function previousBuild(root: string): { bin: string; version: string } | undefined {
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, "tofu"))) : [];
  versions.sort((a, b) => (versionAtLeast(a, b) ? -1 : 1));
  const newest = versions[0];
  return newest ? { bin: join(root, newest, "tofu"), version: newest } : undefined;
}

/** Hard-links (or copies, across file systems) `from` to `to`, replacing what is there. */
function place(from: string, to: string): void {
  mkdirSync(join(to, ".."), { recursive: true });
  rmSync(to, { force: true });
  try {
    linkSync(from, to);
  } catch {
    copyFileSync(from, to);
  }
}

async function ensureProviderMirror(config: TSetupConfig): Promise<string> {
  const base = join(config.cacheDir, "toolchain");
  const mirror = join(base, "plugin-mirror");
  for (const p of toolchain.providers) {
    const built = join(base, "providers", p.name, `${p.version}-${p.commit}`, `terraform-provider-${p.name}`);
    if (!existsSync(built)) {
      note(`building provider ${p.source} ${p.version} (${p.commit}) with go build (first run only)`);
      await goBuild(join(config.repoRoot, p.goModule), p.package, "-s -w", built);
    }
    for (const host of REGISTRY_HOSTS) {
      const dir = join(mirror, host, p.source, p.version, "linux_amd64");
      place(built, join(dir, `terraform-provider-${p.name}_v${p.version}`));
    }
  }
  return mirror;
}

function writeCliConfig(base: string, mirror: string): string {
  const file = join(base, "tofu.tfrc");
  // No plugin_cache_dir: a shared plugin cache is not safe when several tenants are provisioned
  // at once (an init replacing a cached provider while another working directory's plan reads
  // it through its link). Each working directory installs from the read-only mirror instead.
  const hosts = REGISTRY_HOSTS.map((h) => `"${h}/*/*"`).join(", ");
  writeFileSync(
    file,
    [
      "# Written by DSAI set-up: providers come only from the local mirror (offline).",
      "disable_checkpoint = true",
      "provider_installation {",
      "  filesystem_mirror {",
      `    path    = "${mirror}"`,
      `    include = [${hosts}]`,
      "  }",
      "}",
      "",
    ].join("\n"),
  );
  return file;
}

export async function ensureToolchain(config: TSetupConfig): Promise<TToolchainResolved> {
  const base = join(config.cacheDir, "toolchain");
  mkdirSync(base, { recursive: true });
  const tofu = await resolveTofu(config);
  note(`using ${tofu.kind} ${tofu.version} (${tofu.bin})`);
  const mirror = await ensureProviderMirror(config);
  const services = await ensureServices(config);
  const resolved: TToolchainResolved = {
    tofuBin: tofu.bin,
    kind: tofu.kind,
    version: tofu.version,
    cliConfigFile: writeCliConfig(base, mirror),
    pluginMirror: mirror,
    providers: Object.fromEntries(toolchain.providers.map((p) => [p.name, { source: p.source, version: p.version }])),
    services,
  };
  writeFileSync(join(base, "resolved.json"), `${JSON.stringify(resolved, null, 2)}\n`);
  return resolved;
}
