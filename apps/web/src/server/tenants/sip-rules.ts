// The operator's rules for where a tenant's trunks may take calls from and send SIP to. A
// trunk's `match` decides which calls the shared Asterisk gives the tenant, so it may not cover
// the internet, internal networks or the platform's own; its `host` is where Asterisk registers
// and sends calls, so it may not lead inside the platform (loopback, a container name, another
// tenant's core under the base domain). Networks the operator allows for local use (calls from
// this machine arrive from the Asterisk network's gateway) are exempt.
import { checkHostIsPublic, classifyAddress, type TResolve, type TTenantDesiredState, ZCidrSchema } from "@dsai/contracts";
import ipaddr from "ipaddr.js";
import { z } from "zod";
import type { TSipIssue } from "./sip-claims.ts";
import { addressIn, networkContains, networksOverlap, parseNetwork, type TNetwork } from "./sip-networks.ts";

/** The worker configuration's `sip` settings. */
export const ZSipRulesConfigSchema = z.strictObject({
  /**
   * The broadest network a trunk may take calls from, as a prefix length. At most /16: then a
   * network touches an internal range exactly when its first or last address is in one (CIDR
   * blocks nest; every internal range but the broadcast address is a /16 or broader).
   */
  broadestMatchPrefix: z.number().int().min(16).max(32).default(24),
  /** Networks allowed for local use, in `match` and as `host` (npm start: the Asterisk network's gateway /32). */
  localNetworks: z.array(ZCidrSchema).max(16).default([]),
  /** The platform's own networks (public ones too), besides the worker's proxySourceRange. */
  platformNetworks: z.array(ZCidrSchema).max(16).default([]),
});
export type TSipRulesConfig = z.output<typeof ZSipRulesConfigSchema>;

export type TSipPolicy = {
  baseDomain: string;
  broadestMatchPrefix: number;
  localNetworks: TNetwork[];
  platformNetworks: TNetwork[];
};

export function sipPolicyOf(config: { baseDomain: string; proxySourceRange?: string | undefined; sip: TSipRulesConfig }): TSipPolicy {
  return {
    baseDomain: config.baseDomain.toLowerCase(),
    broadestMatchPrefix: config.sip.broadestMatchPrefix,
    localNetworks: config.sip.localNetworks.map(parseNetwork),
    platformNetworks: [...config.sip.platformNetworks, ...(config.proxySourceRange ? [config.proxySourceRange] : [])].map(parseNetwork),
  };
}

/** Why a network may not be a trunk's source, or undefined when it may. */
export function matchRefusal(match: string, policy: TSipPolicy): string | undefined {
  const network = parseNetwork(match);
  if (policy.localNetworks.some((local) => networkContains(local, network))) return undefined;
  if (network.prefix === 0) return `${match} is every address: a trunk would take every caller's calls`;
  for (const address of [network.first, network.last]) {
    const kind = classifyAddress(address.toString());
    if (kind !== "public") return `${match} is not a public network (${address.toString()} is ${kind})`;
  }
  if (policy.platformNetworks.some((p) => networksOverlap(p, network))) return `${match} overlaps the platform's own networks`;
  if (network.prefix < policy.broadestMatchPrefix)
    return `${match} is broader than /${policy.broadestMatchPrefix}, the broadest network this platform accepts`;
  return undefined;
}

/** Why Asterisk may not send SIP to `host`, or undefined when it may. */
export async function hostRefusal(host: string, policy: TSipPolicy, resolve: TResolve): Promise<string | undefined> {
  const name = host.toLowerCase().replace(/\.$/, "");
  const literal = ipaddr.IPv4.isValidFourPartDecimal(name);
  if (literal && policy.localNetworks.some((local) => addressIn(name, local))) return undefined;
  if (!literal) {
    if (name === policy.baseDomain || name.endsWith(`.${policy.baseDomain}`))
      return `${host} is under the platform's domain ${policy.baseDomain}: its names are the platform's and its tenants'`;
    if (!name.includes(".")) return `${host} is a bare name: such names reach the platform's containers, not a SIP provider`;
  }
  const check = await checkHostIsPublic(name, resolve);
  if (!check.ok) return check.reason;
  const platform = check.addresses.find((a) => policy.platformNetworks.some((p) => addressIn(a.address, p)));
  if (platform) return `${host} is one of the platform's own addresses (${platform.address})`;
  return undefined;
}

/** Every field of the state's trunks the rules refuse, by its path. */
export async function checkSipRules(
  state: Pick<TTenantDesiredState, "trunks">,
  policy: TSipPolicy,
  resolve: TResolve,
): Promise<TSipIssue[]> {
  const issues: TSipIssue[] = [];
  for (const [i, trunk] of state.trunks.entries()) {
    const host = await hostRefusal(trunk.host, policy, resolve);
    if (host) issues.push({ path: `trunks[${i}].host`, message: host });
    for (const [j, match] of trunk.match.entries()) {
      const refusal = matchRefusal(match, policy);
      if (refusal) issues.push({ path: `trunks[${i}].match[${j}]`, message: refusal });
    }
  }
  return issues;
}
