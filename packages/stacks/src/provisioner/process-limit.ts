// A bound on the processes of each of a tenant's containers (a fork bomb in a provider image stays
// in its container). The Docker provider has no argument for it, so the provisioner sets it
// through the Docker API after every apply, on each container of the tenant that lacks it; tofu
// does not manage the setting, so this never shows as drift. Idempotent.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { TENANT_PIDS_LIMIT } from "../tenant/docker/least-privilege.ts";

const exec = promisify(execFile);

/** Sets the PID limit on every container labelled as the tenant's; returns the containers it changed. */
export async function limitProcesses(slug: string, env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  const { stdout } = await exec("docker", ["ps", "--all", "--quiet", "--filter", `label=dsai.tenant=${slug}`], { env });
  const ids = stdout.split("\n").filter(Boolean);
  if (ids.length === 0) return [];
  const { stdout: limits } = await exec("docker", ["inspect", "--format", "{{.Name}} {{.HostConfig.PidsLimit}}", ...ids], { env });
  const changed = limits
    .split("\n")
    .filter(Boolean)
    .map((line) => line.split(" "))
    .filter(([, limit]) => limit !== String(TENANT_PIDS_LIMIT))
    .map(([name]) => (name ?? "").replace(/^\//, ""));
  for (const name of changed) await exec("docker", ["update", "--pids-limit", String(TENANT_PIDS_LIMIT), name], { env });
  return changed;
}
