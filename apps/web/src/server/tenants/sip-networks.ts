// What a trunk's `match` and a number stand for when tenants are compared: a network as
// ipaddr.js parses it (overlap is containment of one network's first address in the other,
// since CIDR blocks are either nested or apart), and a number by its digits.
import ipaddr from "ipaddr.js";

export type TNetwork = {
  first: ipaddr.IPv4;
  prefix: number;
  last: ipaddr.IPv4;
  /** `address/prefix`, with the network's own address. */
  text: string;
};

/**
 * A trunk's match (`203.0.113.8/29`, or Asterisk's `203.0.113.5:5060/32` with the provider's
 * source port) as the network it covers: host bits and the port are dropped — two tenants on
 * one address but different ports still share the carrier's address, and Asterisk's identify
 * order would decide between them.
 */
export function parseNetwork(match: string): TNetwork {
  const [address = "", prefixText = ""] = match.split("/");
  const cidr = `${address.split(":")[0]}/${prefixText}`;
  if (!ipaddr.IPv4.isValidCIDRFourPartDecimal(cidr)) throw new Error(`not an IPv4 network: ${JSON.stringify(match)}`);
  const first = ipaddr.IPv4.networkAddressFromCIDR(cidr);
  const prefix = Number(prefixText);
  return { first, prefix, last: ipaddr.IPv4.broadcastAddressFromCIDR(cidr), text: `${first.toString()}/${prefix}` };
}

export function networksOverlap(a: TNetwork, b: TNetwork): boolean {
  return a.first.match(b.first, b.prefix) || b.first.match(a.first, a.prefix);
}

/** Whether `outer` holds all of `inner`. */
export function networkContains(outer: TNetwork, inner: TNetwork): boolean {
  return inner.prefix >= outer.prefix && inner.first.match(outer.first, outer.prefix);
}

export function addressIn(address: string, network: TNetwork): boolean {
  return ipaddr.IPv4.isValidFourPartDecimal(address) && ipaddr.IPv4.parse(address).match(network.first, network.prefix);
}

/**
 * The number a claim is about: its digits. `+15551000` and `15551000` reach the same agent once
 * a carrier drops or adds the '+', so they are one number platform-wide.
 */
export const numberKey = (number: string): string => number.replace(/^\+/, "");
