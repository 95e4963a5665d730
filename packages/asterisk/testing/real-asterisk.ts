// A real Asterisk for tests: the repository's base configuration (asterisk/conf) as it ships,
// with only what a test run must change — its own directories, and every listener moved to
// 127.0.0.1 on free ports — plus the tenants' generated folders. Boots, waits until fully
// booted, and gives the CLI, ARI credentials and the boot log to the test.
import { execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createSocket } from "node:dgram";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { TTenantConfigFiles } from "../src/generate.ts";
import { REPO_ROOT, type TAsteriskInstall } from "./asterisk-install.ts";

const execFileAsync = promisify(execFile);
export const BASE_CONF_DIR = join(REPO_ROOT, "asterisk", "conf");

export type TRealAsterisk = {
  /** The config directory (tenants' folders live in its tenants/). */
  confDir: string;
  sipPort: number;
  ari: { url: string; user: string; password: string };
  /** Runs one CLI command (`asterisk -rx`) and returns its output. */
  cli(command: string): Promise<string>;
  /** messages.log so far (notice and above, with verbose 3). */
  log(): string;
  /** Lines of messages.log at ERROR level. */
  errors(): string[];
  stop(): Promise<void>;
};

/** A port free for both TCP and UDP on 127.0.0.1 (SIP listens on both). */
export async function freeSipPort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => {
        const address = server.address();
        server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
      });
    });
    const udpFree = await new Promise<boolean>((resolve) => {
      const socket = createSocket("udp4");
      socket.once("error", () => resolve(false));
      socket.bind(port, "127.0.0.1", () => socket.close(() => resolve(true)));
    });
    if (udpFree) return port;
  }
}

/** Replaces `from` by `to` in a base file, failing loudly if the base no longer holds it. */
function rewrite(file: string, from: string | RegExp, to: string): void {
  const text = readFileSync(file, "utf8");
  const next = text.replace(from, to);
  if (next === text) throw new Error(`${file}: expected ${String(from)} in the base configuration`);
  writeFileSync(file, next);
}

/**
 * Copies the base configuration into `etc` with its listeners moved to 127.0.0.1 on free ports,
 * an ARI user, and the tenants' folders. Directories stay as shipped (the image's paths).
 */
export async function writeTestConfig(
  etc: string,
  tenants: { slug: string; files: TTenantConfigFiles }[] = [],
): Promise<{ sipPort: number; ari: TRealAsterisk["ari"] }> {
  cpSync(BASE_CONF_DIR, etc, { recursive: true });
  const sipPort = await freeSipPort();
  const httpPort = await freeSipPort();
  const amiPort = await freeSipPort();
  rewrite(join(etc, "pjsip.conf"), /bind = 0\.0\.0\.0:5060/g, `bind = 127.0.0.1:${sipPort}`);
  rewrite(join(etc, "pjsip.conf"), /bind = 0\.0\.0\.0$/m, "bind = 127.0.0.1");
  rewrite(join(etc, "http.conf"), /bindaddr = \S+/, "bindaddr = 127.0.0.1");
  rewrite(join(etc, "http.conf"), /bindport = \d+/, `bindport = ${httpPort}`);
  rewrite(join(etc, "manager.conf"), /bindaddr = \S+/, "bindaddr = 127.0.0.1");
  rewrite(join(etc, "manager.conf"), /port = \d+/, `port = ${amiPort}`);
  const ari = { url: `http://127.0.0.1:${httpPort}`, user: "dsai", password: randomBytes(12).toString("hex") };
  writeFileSync(join(etc, "ari_users.conf"), `[${ari.user}]\ntype = user\nread_only = no\npassword = ${ari.password}\n`);
  for (const t of tenants) {
    const dir = join(etc, "tenants", t.slug);
    mkdirSync(dir, { recursive: true });
    for (const [name, text] of Object.entries(t.files)) writeFileSync(join(dir, name), text);
  }
  return { sipPort, ari };
}

export async function startRealAsterisk(options: {
  install: TAsteriskInstall;
  tenants?: { slug: string; files: TTenantConfigFiles }[];
}): Promise<TRealAsterisk> {
  const { install } = options;
  const root = mkdtempSync(join(tmpdir(), "dsai-asterisk-"));
  const etc = join(root, "etc");
  const dirs = {
    lib: join(root, "lib"),
    spool: join(root, "spool"),
    run: join(root, "run"),
    log: join(root, "log"),
    data: join(root, "data"),
  };
  const { sipPort, ari } = await writeTestConfig(etc, options.tenants);
  for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
  mkdirSync(join(dirs.lib, "keys"));
  mkdirSync(join(dirs.spool, "monitor"), { recursive: true });

  // A data folder of our own: the build's (documentation, which Asterisk 22 needs at boot, and
  // rest-api, the ARI listings) plus the core sounds as sounds/en. An install without a data
  // folder keeps its compiled-in one.
  if (install.dataDir) {
    for (const entry of readdirSync(install.dataDir)) {
      if (entry !== "sounds") symlinkSync(join(install.dataDir, entry), join(dirs.data, entry));
    }
    if (install.soundsDir) {
      mkdirSync(join(dirs.data, "sounds"));
      symlinkSync(install.soundsDir, join(dirs.data, "sounds", "en"));
    }
  }
  const base = readFileSync(join(etc, "asterisk.conf"), "utf8");
  const options_ = base.slice(base.indexOf("[options]"));
  const directories = [
    `astetcdir => ${etc}`,
    ...(install.modDir ? [`astmoddir => ${install.modDir}`] : []),
    `astvarlibdir => ${dirs.lib}`,
    `astdbdir => ${dirs.lib}`,
    `astkeydir => ${dirs.lib}`,
    ...(install.dataDir ? [`astdatadir => ${dirs.data}`] : []),
    `astspooldir => ${dirs.spool}`,
    `astrundir => ${dirs.run}`,
    `astlogdir => ${dirs.log}`,
  ];
  writeFileSync(join(etc, "asterisk.conf"), `[directories]\n${directories.join("\n")}\n\n${options_}`);

  const conf = join(etc, "asterisk.conf");
  const env = install.libDir ? { ...process.env, LD_LIBRARY_PATH: install.libDir } : process.env;
  const cli = async (command: string) => (await execFileAsync(install.bin, ["-C", conf, "-rx", command], { env, encoding: "utf8" })).stdout;
  const child = spawn(install.bin, ["-C", conf, "-f", "-n"], { env, stdio: "ignore" });
  let exited: string | undefined;
  child.on("exit", (code, signal) => {
    exited = `exited (${signal ?? code})`;
  });
  const logFile = join(dirs.log, "messages.log");
  const log = () => (existsSync(logFile) ? readFileSync(logFile, "utf8") : "");
  const stop = async () => {
    if (!exited) {
      await cli("core stop now").catch(() => child.kill("SIGKILL"));
      await new Promise<void>((resolve) => (exited ? resolve() : child.once("exit", () => resolve())));
    }
    rmSync(root, { recursive: true, force: true });
  };

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited) {
      const tail = log().split("\n").slice(-20).join("\n");
      rmSync(root, { recursive: true, force: true });
      throw new Error(`Asterisk ${exited} during boot:\n${tail}`);
    }
    const booted = await cli("core waitfullybooted").catch(() => "");
    if (booted.includes("fully booted")) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error("Asterisk did not finish booting within 30 s");
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    confDir: etc,
    sipPort,
    ari,
    cli,
    log,
    errors: () =>
      log()
        .split("\n")
        .filter((line) => /\] ERROR\[/.test(line)),
    stop,
  };
}
