// Child processes for set-up steps: every failure names the command that failed.
import { spawn, spawnSync } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

export class CommandError extends Error {
  constructor(
    readonly command: string,
    readonly code: number | null,
    readonly output: string,
  ) {
    super(`command failed (exit ${code}): ${command}\n${output.trim().split("\n").slice(-20).join("\n")}`);
  }
}

export type TRunOptions = {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  input?: string | Buffer;
  /** Stream the child's output to ours (long builds show progress) instead of capturing it. */
  inherit?: boolean;
};

export function run(cmd: string, args: string[], opts: TRunOptions = {}): Promise<string> {
  const shown = [cmd, ...args].join(" ");
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: [opts.input === undefined ? "ignore" : "pipe", opts.inherit ? "inherit" : "pipe", opts.inherit ? "inherit" : "pipe"],
    });
    let out = "";
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.stderr?.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.on("error", (err) => reject(new CommandError(shown, null, err.message)));
    child.on("close", (code) => (code === 0 ? resolvePromise(out) : reject(new CommandError(shown, code, out))));
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** Exit status and output of a quick probe (`docker info`, `tofu version`), never throwing. */
export function probe(cmd: string, args: string[], env?: NodeJS.ProcessEnv): { ok: boolean; output: string } {
  const r = spawnSync(cmd, args, { encoding: "utf8", env: env ?? process.env, timeout: 20_000 });
  return { ok: r.status === 0, output: `${r.stdout ?? ""}${r.stderr ?? ""}` };
}

/** Absolute path of an executable on PATH, or undefined. */
export function which(name: string, path = process.env.PATH ?? ""): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}
