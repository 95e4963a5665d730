// One provisioning run per tenant at a time, across processes: a lock file in the tenant's
// working directory, created exclusively, naming the process that holds it. A lock whose process
// is gone (a run killed mid-apply) is stale: the next run removes it and carries on — tofu's own
// state lock is released by the kernel when its process dies, and the next plan converges.
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";

export const RUN_LOCK_FILE = ".dsai-run.lock";

export class TenantBusyError extends Error {
  constructor(
    readonly slug: string,
    readonly holder: { pid: number; host: string; startedAt: string; action: string },
  ) {
    super(
      `tenant ${slug} is being provisioned already (${holder.action} by pid ${holder.pid} on ${holder.host} since ${holder.startedAt})`,
    );
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

export type TRunLock = { release(): void; recoveredStale: boolean };

export function acquireRunLock(workDir: string, slug: string, action: string): TRunLock {
  mkdirSync(workDir, { recursive: true, mode: 0o700 });
  const file = join(workDir, RUN_LOCK_FILE);
  let recoveredStale = false;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, "wx", 0o600);
      writeSync(fd, JSON.stringify({ pid: process.pid, host: hostname(), startedAt: new Date().toISOString(), action }));
      closeSync(fd);
      return { release: () => rmSync(file, { force: true }), recoveredStale };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      let holder: TenantBusyError["holder"];
      try {
        holder = JSON.parse(readFileSync(file, "utf8")) as TenantBusyError["holder"];
      } catch {
        holder = { pid: 0, host: hostname(), startedAt: "unknown", action: "unknown" }; // torn write: its writer died
      }
      if (holder.host === hostname() && !alive(holder.pid)) {
        rmSync(file, { force: true });
        recoveredStale = true;
        continue;
      }
      throw new TenantBusyError(slug, holder);
    }
  }
  throw new Error(`could not take the run lock of tenant ${slug}`);
}
