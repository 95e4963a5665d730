// Tools DSAI needs from the operating system. On Debian as root a missing one is installed
// with apt-get; anywhere else set-up stops and says exactly what to install.
import { existsSync } from "node:fs";
import { CommandError, probe, run, which } from "./exec.ts";
import { note } from "./progress.ts";

export type TSystemTool = {
  /** Executable that proves the tool is present (or, for data packages, a name for messages). */
  command: string;
  /** A file that proves a data package (no executable) is present. */
  file?: string;
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
  // Offline speech: the TTS and ASR provider services and the call simulator's caller voice.
  { command: "espeak-ng", debianPackage: "espeak-ng", hint: "install eSpeak NG (the offline TTS provider)" },
  { command: "pocketsphinx_continuous", debianPackage: "pocketsphinx", hint: "install PocketSphinx 5prealpha (the offline ASR provider)" },
  {
    command: "pocketsphinx-en-us",
    file: "/usr/share/pocketsphinx/model/en-us/en-us/mdef",
    debianPackage: "pocketsphinx-en-us",
    hint: "install the PocketSphinx US English model (or set ASR_MODEL_DIR)",
  },
  { command: "sox", debianPackage: "sox", hint: "install SoX (resampling for the speech providers)" },
  { command: "flite", debianPackage: "flite", hint: "install Flite (the call simulator's caller voice)" },
  // The real-Asterisk tests: a SIP caller, and the core sounds the refusal path plays.
  { command: "sipp", debianPackage: "sip-tester", hint: "install SIPp (the SIP caller of the real-Asterisk tests)" },
  {
    command: "asterisk-core-sounds-en-gsm",
    file: "/usr/share/asterisk/sounds/en_US_f_Allison/ss-noservice.gsm",
    debianPackage: "asterisk-core-sounds-en-gsm",
    hint: "install Asterisk's English core sounds (GSM)",
  },
  {
    command: "go",
    debianPackage: "",
    hint: "install Go >= 1.26 (go.dev/dl): it builds OpenTofu, its providers and Traefik (or set DSAI_TOFU to a tofu/terraform binary and provide the providers' plugin mirror), and the core image's sched-slice",
  },
];

export function canUseApt(): boolean {
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

/** Installs the Debian packages of `packages` that are not installed yet (Debian as root only). */
export async function ensureDebianPackages(packages: string[]): Promise<void> {
  const installed = (pkg: string) => /^Status: install ok installed/m.test(probe("dpkg", ["-s", pkg]).output);
  const missing = packages.filter((p) => !installed(p));
  if (missing.length === 0) return;
  note(`installing Debian packages: ${missing.join(" ")}`);
  await aptInstall(missing);
}

/** Installs (or demands) the tools in `tools` that are not on PATH. */
export async function ensureSystemTools(tools: TSystemTool[]): Promise<void> {
  const present = (t: TSystemTool) => (t.file ? existsSync(t.file) : which(t.command) !== undefined);
  const missing = tools.filter((t) => !present(t));
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
  const still = manual.filter((t) => !present(t));
  if (still.length > 0) {
    const lines = still.map((t) => `  - ${t.command}: ${t.hint}${t.debianPackage ? ` (Debian: apt-get install ${t.debianPackage})` : ""}`);
    throw new Error(`missing tools that set-up cannot install here (it installs only on Debian as root):\n${lines.join("\n")}`);
  }
}
