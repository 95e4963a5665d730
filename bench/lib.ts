// Shared by the benchmark scripts: results in the one format of BENCH.md, with the machine and
// the commit they measured.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";

export type TMetric = { value: number; unit: string; target?: string };

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

export function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] as number;
}

/** Smallest bucket bound holding `share` of `count` (cumulative bucket counts, e.g. the core's histograms): an upper bound of that percentile. */
export function bucketBound(bounds: number[], cumulative: number[], count: number, share: number): number {
  for (let b = 0; b < bounds.length; b++) if ((cumulative[b] as number) >= share * count) return bounds[b] as number;
  return Number.POSITIVE_INFINITY;
}

export function writeResult(name: string, metrics: Record<string, TMetric>, note: string): string {
  const commit = (() => {
    try {
      return execFileSync("git", ["rev-parse", "HEAD"], { encoding: "utf8" }).trim();
    } catch {
      return "unknown";
    }
  })();
  const result = {
    benchmark: name,
    date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    commit,
    machine: { cpus: cpus().length, memGiB: Math.round(totalmem() / 2 ** 30), node: process.version, note },
    metrics,
  };
  const dir = join(import.meta.dirname, "results");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.json`);
  writeFileSync(`${file}.tmp`, `${JSON.stringify(result, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
  return file;
}

/**
 * Runs an entry as its own process — a TypeScript one through tsx, a bundle (`.mjs`, what an image
 * runs) with plain node — and resolves with its first stdout line matching `ready`. What it prints
 * after that is passed on (e.g. the lines of `--trace-gc`).
 */
export function spawnUntil(
  args: string[],
  env: NodeJS.ProcessEnv,
  ready: RegExp,
  /** CPUs the process runs on (`taskset -c`, which execs it: the pid is the process's own). */
  cpus?: string,
  /** The Node.js binary to run it with (this one's by default). */
  nodeBin: string = process.execPath,
  /** A command that execs the rest (e.g. `chrt -f 1`): the pid stays the process's own. */
  prefix: string[] = [],
): Promise<{ child: ChildProcess; line: string }> {
  return new Promise((resolve, reject) => {
    const entry = args.find((a) => !a.startsWith("-")) ?? "";
    const node = entry.endsWith(".mjs") ? [nodeBin, ...args] : [nodeBin, "--import", "tsx", ...args];
    const [command, ...rest] = [...prefix, ...(cpus ? ["taskset", "-c", cpus, ...node] : node)];
    const child = spawn(command as string, rest, {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let started = false;
    child.stdout?.on("data", (d: Buffer) => {
      if (started) {
        process.stdout.write(d);
        return;
      }
      const line = d.toString();
      if (ready.test(line)) {
        started = true;
        resolve({ child, line });
      }
    });
    child.once("exit", (code) => reject(new Error(`${entry} exited (${code})`)));
  });
}
