// Least privilege for every container of a tenant, the platform's images and the images a tenant
// chooses alike: no Linux capability (none of the platform's images needs one: they run as
// unprivileged users and bind ports above 1024), no privilege gained through set-uid binaries,
// a read-only root with a small tmpfs for what a process writes, and a bound on processes so a
// fork bomb stays inside its container. A tenant's image that must write elsewhere than its
// tmpfs folders does not run here: that is the contract for provider images (see SECURITY.md).
// The process bound is not here: the Docker provider has no argument for it (process-limit.ts).
import type { ContainerConfig } from "@cdktf/provider-docker/lib/container/index.js";

/** Processes (threads included) one container of a tenant may run (set by the provisioner: provisioner/process-limit.ts). */
export const TENANT_PIDS_LIMIT = 256;

type TLeastPrivilege = Pick<ContainerConfig, "capabilities" | "securityOpts" | "readOnly" | "tmpfs">;

/**
 * `writable`: folders the container may write besides its volumes, each a tmpfs of at most
 * `tmpfsMiB`, owned by `owner` when given (Docker copies the image folder's mode onto a tmpfs but
 * not its owner, so a folder the image gave to a service user must be given to it again).
 */
export function leastPrivilege(
  o: { writable?: { path: string; owner?: { user: number; group: number } }[]; tmpfsMiB?: number } = {},
): TLeastPrivilege {
  const size = o.tmpfsMiB ?? 64;
  const options = (owner?: { user: number; group: number }) =>
    ["rw", "nosuid", "nodev", ...(owner ? [`uid=${owner.user}`, `gid=${owner.group}`] : []), `size=${size}m`].join(",");
  return {
    capabilities: { drop: ["ALL"] },
    securityOpts: ["no-new-privileges:true"],
    readOnly: true,
    tmpfs: Object.fromEntries((o.writable ?? [{ path: "/tmp" }]).map((w) => [w.path, options(w.owner)])),
  };
}
