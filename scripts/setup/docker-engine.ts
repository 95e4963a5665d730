// A Docker engine that answers. One that already runs (or DOCKER_HOST) is used as it is and
// never touched; otherwise dockerd is started in the background with a fixed bridge subnet.
import { spawn } from "node:child_process";
import { mkdirSync, openSync } from "node:fs";
import { join } from "node:path";
import type { TSetupConfig } from "./config.ts";
import { probe } from "./exec.ts";
import { note } from "./progress.ts";

export function dockerAnswers(): boolean {
  return probe("docker", ["info", "--format", "{{.ServerVersion}}"]).ok;
}

export async function ensureDockerEngine(config: TSetupConfig): Promise<void> {
  if (dockerAnswers()) return;
  if (config.dockerHost) {
    throw new Error(`DOCKER_HOST=${config.dockerHost} does not answer \`docker info\`; start that engine or unset DOCKER_HOST`);
  }
  if (process.getuid?.() !== 0) {
    throw new Error(
      "no Docker engine answers and set-up is not root, so it cannot start dockerd: start Docker (or set DOCKER_HOST) and run again",
    );
  }
  const dir = join(config.cacheDir, "docker");
  mkdirSync(dir, { recursive: true });
  const logFile = join(dir, "dockerd.log");
  note(`starting dockerd (bridge ${config.dockerBip}, log ${logFile})`);
  const log = openSync(logFile, "a");
  const child = spawn(
    "dockerd",
    ["--bip", config.dockerBip, "--default-address-pool", `base=${config.dockerPool},size=24`, "--pidfile", join(dir, "dockerd.pid")],
    { detached: true, stdio: ["ignore", log, log] },
  );
  child.unref();
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (dockerAnswers()) return;
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`dockerd did not answer within 60 s; see ${logFile}`);
}
