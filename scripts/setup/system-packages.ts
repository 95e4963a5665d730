// Tools DSAI needs from the operating system. On Debian as root a missing one is installed
// with apt-get; anywhere else set-up stops and says exactly what to install.
import { existsSync } from "node:fs";
import { CommandError, run, which } from "./exec.ts";
import { note } from "./progress.ts";

export type TSystemTool = {
  /** Executable that proves the tool is present. */
  command: string;
  /** Debian package that provides it. */
  debianPackage: string;
  /** What a user on another system should do. */
  hint: string;
};

export const SYSTEM_TOOLS: TSystemTool[] = [
  {
    command: "dockerd",
    debianPackage: "docker.io",
    hint: "install Docker Engine (docs.docker.com/engine/install) or set DOCKER_HOST to a running engine",
  },
  { command: "docker", debianPackage: "docker.io", hint: "install the Docker CLI" },
  { command: "chromium", debianPackage: "chromium", hint: "install Chromium and make `chromium` available on PATH (or set DSAI_CHROMIUM)" },
  {
    command: "debootstrap",
    debianPackage: "debootstrap",
    hint: "install debootstrap, or set DSAI_IMAGE_DEBIAN_BASE to a Debian bookworm image you have",
  },
  {
    command: "go",
    debianPackage: "",
    hint: "install Go >= 1.26 (go.dev/dl), or set DSAI_TOFU to a tofu/terraform binary and provide the providers' plugin mirror",
  },
];

function canUseApt(): boolean {
  return process.getuid?.() === 0 && existsSync("/etc/debian_version") && which("apt-get") !== undefined;
}

let aptUpdated = false;

async function aptInstall(packages: string[]): Promise<void> {
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const install = () => run("apt-get", ["install", "-y", "--no-install-recommends", ...packages], { env });
  try {
    await install();
  } catch (err) {
    // A fresh machine has empty package lists: update once and try again.
    if (aptUpdated) throw err;
    aptUpdated = true;
    note("apt-get update");
    await run("apt-get", ["update"], { env });
    await install();
  }
}

/** Installs (or demands) the tools in `tools` that are not on PATH. */
export async function ensureSystemTools(tools: TSystemTool[]): Promise<void> {
  const missing = tools.filter((t) => which(t.command) === undefined);
  if (missing.length === 0) return;
  const installable = missing.filter((t) => t.debianPackage !== "");
  const manual = missing.filter((t) => t.debianPackage === "");
  if (installable.length > 0 && canUseApt()) {
    const packages = [...new Set(installable.map((t) => t.debianPackage))];
    note(`installing Debian packages: ${packages.join(" ")}`);
    try {
      await aptInstall(packages);
    } catch (err) {
      const detail = err instanceof CommandError ? err.message : String(err);
      throw new Error(`could not install ${packages.join(", ")} with apt-get:\n${detail}`);
    }
  } else {
    manual.push(...installable);
  }
  const still = manual.filter((t) => which(t.command) === undefined);
  if (still.length > 0) {
    const lines = still.map((t) => `  - ${t.command}: ${t.hint}${t.debianPackage ? ` (Debian: apt-get install ${t.debianPackage})` : ""}`);
    throw new Error(`missing tools that set-up cannot install here (it installs only on Debian as root):\n${lines.join("\n")}`);
  }
}
