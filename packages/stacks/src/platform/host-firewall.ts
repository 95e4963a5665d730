// No way from a tenant's container to the host. A container on a Docker bridge reaches the
// host's own addresses through the bridge's gateway — even on an `internal` network, which only
// takes away the route off the machine — and packets to the host go through the host's INPUT
// chain, not FORWARD (so Docker's DOCKER-USER chain never sees them). Anything listening on the
// host's 0.0.0.0 (sshd, an exporter, a database, the platform's own services) would answer a
// tenant. Every bridge of a tenant network is named with one prefix (tenantBridgeName), so one
// static rule covers every tenant, present and future: new connections arriving on such a bridge
// are dropped; replies to connections the host opened (published ports) still flow.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { promisify } from "node:util";

const exec = promisify(execFile);

/** Prefix of every tenant network's Linux bridge; the firewall matches it as `dsait+`. */
export const TENANT_BRIDGE_PREFIX = "dsait";
export const HOST_FIREWALL_CHAIN = "DSAI-TENANTS";

/** The Linux bridge of a tenant's Docker network: the prefix and a hash of the network's name (15 characters, the kernel's limit). */
export function tenantBridgeName(networkName: string): string {
  return `${TENANT_BRIDGE_PREFIX}${createHash("sha256").update(networkName).digest("hex").slice(0, 10)}`;
}

/** The rules, in order: the jump from INPUT, then the chain's own. */
const CHAIN_RULES = [
  ["-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "RETURN"],
  ["-j", "DROP"],
];
const JUMP = ["-i", `${TENANT_BRIDGE_PREFIX}+`, "-j", HOST_FIREWALL_CHAIN];

async function ok(cmd: string, args: string[]): Promise<boolean> {
  return exec(cmd, args).then(
    () => true,
    () => false,
  );
}

/**
 * Installs the rules when missing (idempotent; run by set-up, so at every `npm start` and `npm
 * test`), for IPv4 and, where the host has it, IPv6. Throws naming the command that failed: a
 * platform that cannot keep tenants off the host must not start.
 */
export async function ensureHostFirewall(): Promise<{ families: string[]; added: number }> {
  const families: string[] = [];
  let added = 0;
  for (const cmd of ["iptables", "ip6tables"]) {
    if (!(await ok(cmd, ["-w", "-L", "INPUT", "-n"]))) {
      if (cmd === "iptables")
        throw new Error("iptables does not answer (`iptables -L INPUT`): the host firewall for tenants cannot be installed");
      continue; // no IPv6 filtering on this host: Docker then gives containers no IPv6 either
    }
    families.push(cmd);
    if (!(await ok(cmd, ["-w", "-L", HOST_FIREWALL_CHAIN, "-n"]))) await exec(cmd, ["-w", "-N", HOST_FIREWALL_CHAIN]);
    // The chain's rules must be exactly these, in this order: rebuilt when they differ.
    const { stdout } = await exec(cmd, ["-w", "-S", HOST_FIREWALL_CHAIN]);
    const present = stdout.split("\n").filter((l) => l.startsWith("-A "));
    const wanted = CHAIN_RULES.map((r) => `-A ${HOST_FIREWALL_CHAIN} ${r.join(" ")}`);
    if (present.join("\n") !== wanted.join("\n")) {
      await exec(cmd, ["-w", "-F", HOST_FIREWALL_CHAIN]);
      for (const rule of CHAIN_RULES) await exec(cmd, ["-w", "-A", HOST_FIREWALL_CHAIN, ...rule]);
      added += CHAIN_RULES.length;
    }
    if (!(await ok(cmd, ["-w", "-C", "INPUT", ...JUMP]))) {
      await exec(cmd, ["-w", "-I", "INPUT", "1", ...JUMP]);
      added += 1;
    }
  }
  return { families, added };
}
