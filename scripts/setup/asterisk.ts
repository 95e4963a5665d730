// The real Asterisk that `npm test` runs (the shared Asterisk's config, generated tenants and a
// real SIP call go through it). In order: ASTERISK_BIN (with ASTERISK_MODDIR/ASTERISK_DATADIR),
// an `asterisk` on PATH, or the prebuilt Asterisk 22 build for this machine (../shared/asterisk/,
// checksum verified, unpacked into the DSAI cache, its Debian runtime libraries installed).
// Without any of them the record says why, and the real-Asterisk tests report themselves skipped.
import { createHash } from "node:crypto";
import {
  accessSync,
  constants,
  createReadStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";
import { ASTERISK_RECORD_FILE, type TAsteriskInstall, type TAsteriskRecord } from "../../packages/asterisk/testing/asterisk-install.ts";
import { buildAsteriskImage } from "../images.ts";
import type { TSetupConfig } from "./config.ts";
import { probe, run, which } from "./exec.ts";
import { note } from "./progress.ts";
import { canUseApt, ensureDebianPackages } from "./system-packages.ts";

/** Runtime libraries of the prebuilt build (its README lists them). */
const RUNTIME_PACKAGES = [
  "libcurl4",
  "libedit2",
  "libjansson4",
  "libsqlite3-0",
  "libssl3",
  "libuuid1",
  "libxml2",
  "libxslt1.1",
  "libsrtp2-1",
  "libpq5",
];
/** Debian's English core sounds: the refusal path plays `ss-noservice` from them. */
export const CORE_SOUNDS_DIR = "/usr/share/asterisk/sounds/en_US_f_Allison";

async function sha256(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function versionOf(bin: string, libDir?: string): string | undefined {
  const env = libDir ? { ...process.env, LD_LIBRARY_PATH: libDir } : process.env;
  const m = /Asterisk (\S+)/.exec(probe(bin, ["-V"], env).output);
  return m?.[1];
}

/** Modules the shared Asterisk's base configuration loads. */
function loadedModules(repoRoot: string): string[] {
  const text = readFileSync(join(repoRoot, "asterisk", "conf", "modules.conf"), "utf8");
  return [...text.matchAll(/^load\s*=>\s*(\S+\.so)\s*$/gm)].map((m) => m[1] as string);
}

/** Shared libraries the binary or the modules DSAI loads cannot find (`ldd` "not found" lines). */
function missingLibraries(bin: string, libDir: string, modDir: string, modules: string[]): string[] {
  const env = { ...process.env, LD_LIBRARY_PATH: libDir };
  const files = [bin, ...modules.map((m) => join(modDir, m))];
  const missing = new Set<string>();
  for (const file of files) {
    for (const m of probe("ldd", [file], env).output.matchAll(/^\s*(\S+) => not found/gm)) if (m[1]) missing.add(m[1]);
  }
  return [...missing].sort();
}

/** Unpacks the prebuilt archive into the cache once per checksum; returns its folder. */
async function unpackPrebuilt(config: TSetupConfig): Promise<string> {
  const archive = config.asterisk.archive;
  const sums = join(dirname(archive), "SHA256SUMS");
  const digest = await sha256(archive);
  if (existsSync(sums)) {
    const expected = readFileSync(sums, "utf8")
      .split("\n")
      .map((line) => line.trim().split(/\s+/))
      .find(([, name]) => name === basename(archive))?.[0];
    if (expected && expected !== digest) throw new Error(`${archive}: checksum ${digest} does not match SHA256SUMS (${expected})`);
  }
  const target = join(config.cacheDir, "asterisk", digest.slice(0, 16));
  if (!existsSync(target)) {
    note(`unpacking ${basename(archive)} into ${target}`);
    mkdirSync(dirname(target), { recursive: true });
    const tmp = mkdtempSync(`${target}.tmp-`);
    try {
      await run("tar", ["-C", tmp, "-xJf", archive]);
      renameSync(tmp, target);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  const [folder] = readdirSync(target).filter((d) => d.startsWith("asterisk-"));
  if (!folder) throw new Error(`${archive} holds no asterisk-<version>/ folder`);
  return join(target, folder);
}

async function resolveInstall(config: TSetupConfig): Promise<TAsteriskRecord> {
  const soundsDir = existsSync(CORE_SOUNDS_DIR) ? CORE_SOUNDS_DIR : undefined;
  const given = config.asterisk.bin;
  if (given) {
    if (!executable(given)) return { found: false, reason: `ASTERISK_BIN=${given} is not an executable file` };
    const version = versionOf(given);
    if (!version) return { found: false, reason: `ASTERISK_BIN=${given} does not answer \`-V\` with a version` };
    return {
      found: true,
      install: { source: "ASTERISK_BIN", version, bin: given, modDir: config.asterisk.modDir, dataDir: config.asterisk.dataDir, soundsDir },
    };
  }
  const onPath = which("asterisk");
  const pathVersion = onPath ? versionOf(onPath) : undefined;
  if (onPath && pathVersion) {
    return {
      found: true,
      install: {
        source: "PATH",
        version: pathVersion,
        bin: onPath,
        modDir: config.asterisk.modDir,
        dataDir: config.asterisk.dataDir,
        soundsDir,
      },
    };
  }
  if (!existsSync(config.asterisk.archive)) {
    return {
      found: false,
      reason: `no Asterisk: set ASTERISK_BIN, put \`asterisk\` on PATH, or provide the prebuilt build at ${config.asterisk.archive} (DSAI_ASTERISK_ARCHIVE)`,
    };
  }
  const folder = await unpackPrebuilt(config);
  const install: TAsteriskInstall = {
    source: "prebuilt",
    version: "",
    bin: join(folder, "sbin", "asterisk"),
    libDir: join(folder, "lib"),
    modDir: join(folder, "lib", "asterisk", "modules"),
    dataDir: join(folder, "var", "lib", "asterisk"),
    soundsDir,
  };
  if (canUseApt()) await ensureDebianPackages(RUNTIME_PACKAGES);
  const absent = loadedModules(config.repoRoot).filter((m) => !existsSync(join(install.modDir as string, m)));
  if (absent.length > 0) return { found: false, reason: `the prebuilt Asterisk lacks modules DSAI loads: ${absent.join(", ")}` };
  const missing = missingLibraries(install.bin, install.libDir as string, install.modDir as string, loadedModules(config.repoRoot));
  if (missing.length > 0) {
    return {
      found: false,
      reason: `the prebuilt Asterisk needs libraries this system lacks: ${missing.join(", ")} (Debian: ${RUNTIME_PACKAGES.join(" ")})`,
    };
  }
  const version = versionOf(install.bin, install.libDir);
  if (!version) return { found: false, reason: `${install.bin} does not start (\`asterisk -V\` failed)` };
  return { found: true, install: { ...install, version } };
}

/** Resolves the test Asterisk and records it in .build/asterisk.json for the tests. */
export async function ensureTestAsterisk(config: TSetupConfig): Promise<TAsteriskRecord> {
  const record = await resolveInstall(config);
  mkdirSync(dirname(ASTERISK_RECORD_FILE), { recursive: true });
  writeFileSync(ASTERISK_RECORD_FILE, `${JSON.stringify(record, null, 2)}\n`);
  if (record.found) note(`Asterisk ${record.install.version} (${record.install.source}: ${record.install.bin})`);
  else note(`no Asterisk for the tests: ${record.reason}`);
  return record;
}

/**
 * The shared Asterisk's image: DSAI_IMAGE_ASTERISK when set (it must exist in the engine), else
 * dsai/asterisk:<tag> built from the prebuilt build. Without one (an ASTERISK_BIN or PATH
 * install has no known layout to copy) it says how to get one and carries on: only the
 * platform stack needs the image.
 */
export async function ensureAsteriskImage(config: TSetupConfig, record: TAsteriskRecord): Promise<string | undefined> {
  if (config.asterisk.image) {
    if (!probe("docker", ["image", "inspect", "--format", "{{.Id}}", config.asterisk.image]).ok) {
      throw new Error(`DSAI_IMAGE_ASTERISK=${config.asterisk.image} is not present in the Docker engine: pull or build it first`);
    }
    return config.asterisk.image;
  }
  if (!record.found || record.install.source !== "prebuilt") {
    note("no prebuilt Asterisk to build dsai/asterisk from: build asterisk/Dockerfile (needs internet) and set DSAI_IMAGE_ASTERISK");
    return undefined;
  }
  return buildAsteriskImage(dirname(dirname(record.install.bin)), note);
}
