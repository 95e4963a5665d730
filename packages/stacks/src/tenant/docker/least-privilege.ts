// Least privilege for every container of a tenant, the platform's images and the images a tenant
// chooses alike: no Linux capability (none of the platform's images needs one: they run as
// unprivileged users and bind ports above 1024), no privilege gained through set-uid binaries,
// a read-only root with a small tmpfs for what a process writes, and a bound on processes so a
// fork bomb stays inside its container. A tenant's image that must write elsewhere than its
// tmpfs folders does not run here: that is the contract for provider images (see SECURITY.md).
import type { ContainerConfig } from "@cdktf/provider-docker/lib/container/index.js";

/** Processes (threads included) one container of a tenant may run. */
export const TENANT_PIDS_LIMIT = 256;

type TLeastPrivilege = Pick<ContainerConfig, "capabilities" | "securityOpts" | "readOnly" | "tmpfs">;

/** `writable`: folders the container may write besides its volumes, each a tmpfs of at most `tmpfsMiB`. */
export function leastPrivilege(o: { writable?: string[]; tmpfsMiB?: number } = {}): TLeastPrivilege {
  const size = o.tmpfsMiB ?? 64;
  return {
    capabilities: { drop: ["ALL"] },
    securityOpts: ["no-new-privileges:true"],
    readOnly: true,
    tmpfs: Object.fromEntries((o.writable ?? ["/tmp"]).map((dir) => [dir, `rw,nosuid,nodev,size=${size}m`])),
  };
}
