// Which addresses a tenant-given URL (a webhook, a URL-type provider) may lead the platform to:
// public ones only. A tenant's core sits on networks shared with the platform (the Asterisk
// network, the License Service behind Traefik, the host itself), so such a URL must not become a
// way into them. Addresses are classified by ipaddr.js's special ranges, not by prefixes written
// here; an IPv6 address that carries an IPv4 one (mapped, compatible, NAT64, 6to4, Teredo) is
// classified by the IPv4 it carries, since that is where a translator or relay delivers it.
import { lookup } from "node:dns/promises";
import ipaddr from "ipaddr.js";

/**
 * "public", or the internal range an address is in:
 * - `unspecified` (0.0.0.0/8, ::), `loopback` (127/8, ::1), `private` (RFC 1918),
 *   `linkLocal` (169.254/16 — cloud metadata —, fe80::/10), `uniqueLocal` (fc00::/7),
 *   `siteLocal` (fec0::/10), `carrierGradeNat` (100.64/10), `multicast`, `broadcast`;
 * - `benchmarking` (198.18/15, 2001:2::/48);
 * - `nat64Local` (64:ff9b:1::/48: a translator of the operator's own network, RFC 8215);
 * - `reserved`: any other special range (240/4, 192.0.0/24, 100::/64, ORCHID, the 6to4 relay
 *   anycast...), including ranges a later ipaddr.js names that this file does not know yet.
 */
export type TAddressClass =
  | "public"
  | "unspecified"
  | "loopback"
  | "private"
  | "linkLocal"
  | "uniqueLocal"
  | "siteLocal"
  | "carrierGradeNat"
  | "multicast"
  | "broadcast"
  | "benchmarking"
  | "nat64Local"
  | "reserved";

/** Resolves a host name to its addresses (the system resolver; tests give a faithful one of their own). */
export type TResolve = (host: string) => Promise<{ address: string; family: number }[]>;
export const systemResolve: TResolve = (host) => lookup(host, { all: true });

export type THostCheck = { ok: true; addresses: { address: string; family: number }[] } | { ok: false; reason: string };

const cidrs = (...list: string[]) => list.map((c) => ipaddr.parseCIDR(c));
/**
 * Documentation ranges (RFC 5737, 3849, 9637) count as public: nothing internal is ever there,
 * and the project's tests use them as a stand-in internet (a "public" name that resolves to
 * 203.0.113.7 and goes nowhere).
 */
const DOCUMENTATION = cidrs("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32", "3fff::/20");
/** The well-known NAT64 prefix (RFC 6052): the IPv4 is the last 32 bits. */
const NAT64_WELL_KNOWN = ipaddr.parseCIDR("64:ff9b::/96");
/** IPv4-compatible IPv6 (deprecated by RFC 4291, still accepted by some stacks): the last 32 bits. */
const IPV4_COMPATIBLE = ipaddr.parseCIDR("::/96");
const BENCHMARKING_V4 = ipaddr.parseCIDR("198.18.0.0/15");

function parse(address: string): ipaddr.IPv4 | ipaddr.IPv6 {
  const bare = address.startsWith("[") && address.endsWith("]") ? address.slice(1, -1) : address;
  // ipaddr.js also reads the short IPv4 forms (127.1, 0x7f000001) the system resolver does, so
  // they are classified as what they connect to.
  if (!ipaddr.isValid(bare)) throw new Error(`not an IP address: ${JSON.stringify(address)}`);
  return ipaddr.parse(bare);
}

const inDocumentation = (ip: ipaddr.IPv4 | ipaddr.IPv6) => DOCUMENTATION.some((range) => ip.kind() === range[0].kind() && ip.match(range));

/** The IPv4 held by two 16-bit groups of an IPv6 address. */
const ipv4Of = (high: number, low: number) => new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);

function classifyIpv4(ip: ipaddr.IPv4): TAddressClass {
  if (inDocumentation(ip)) return "public";
  const range = ip.range();
  switch (range) {
    case "unicast":
    case "as112": // anycast DNS sinks and multicast relays on the internet
    case "amt":
      return "public";
    case "unspecified":
    case "loopback":
    case "private":
    case "linkLocal":
    case "carrierGradeNat":
    case "multicast":
    case "broadcast":
      return range;
    default:
      return ip.match(BENCHMARKING_V4) ? "benchmarking" : "reserved";
  }
}

function classifyIpv6(ip: ipaddr.IPv6): TAddressClass {
  if (inDocumentation(ip)) return "public";
  const range = ip.range();
  const p = ip.parts;
  switch (range) {
    case "unicast":
      // ::a.b.c.d (IPv4-compatible) is "unicast" to ipaddr.js; :: and ::1 were named above.
      return ip.match(IPV4_COMPATIBLE) ? classifyIpv4(ipv4Of(p[6] ?? 0, p[7] ?? 0)) : "public";
    case "as112v6":
    case "amt":
      return "public";
    case "ipv4Mapped": // ::ffff:a.b.c.d
    case "rfc6145": // ::ffff:0:a.b.c.d (IPv4-translated)
      return classifyIpv4(ipv4Of(p[6] ?? 0, p[7] ?? 0));
    case "rfc6052": {
      const embedded = classifyIpv4(ipv4Of(p[6] ?? 0, p[7] ?? 0));
      if (ip.match(NAT64_WELL_KNOWN)) return embedded;
      // 64:ff9b:1::/48 is carved into prefixes of any length, so where its IPv4 sits is the
      // operator's choice; it is never public in any case.
      return embedded === "public" ? "nat64Local" : embedded;
    }
    case "6to4": // 2002:AABB:CCDD::/48 is the site behind the IPv4 AA.BB.CC.DD
      return classifyIpv4(ipv4Of(p[1] ?? 0, p[2] ?? 0));
    case "teredo": // the client's IPv4 is the last 32 bits, inverted (RFC 4380)
      return classifyIpv4(ipv4Of(~(p[6] ?? 0) & 0xffff, ~(p[7] ?? 0) & 0xffff));
    case "unspecified":
    case "loopback":
    case "linkLocal":
    case "uniqueLocal":
    case "multicast":
    case "benchmarking":
      return range;
    default:
      return (range as string) === "deprecatedSiteLocal" ? "siteLocal" : "reserved";
  }
}

/** The class of an IP literal (IPv6 bracketed or not); throws when `address` is not one. */
export function classifyAddress(address: string): TAddressClass {
  const ip = parse(address);
  return ip.kind() === "ipv4" ? classifyIpv4(ip as ipaddr.IPv4) : classifyIpv6(ip as ipaddr.IPv6);
}

export function isPublicAddress(address: string): boolean {
  return classifyAddress(address) === "public";
}

/**
 * Whether a URL's host may be reached: an IP literal is classified as it is; a name is refused
 * when it is `localhost` or under it (RFC 6761), when it resolves to nothing, or when ANY of its
 * addresses is internal (a connection may go to any of them). Answers the checked addresses, so
 * the caller can pin its connection to them (a name re-pointed after the check — DNS rebinding —
 * then cannot lead it inside).
 */
export async function checkHostIsPublic(host: string, resolve: TResolve): Promise<THostCheck> {
  const bare = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  if (ipaddr.isValid(bare)) {
    const ip = parse(bare);
    const kind = classifyAddress(bare);
    if (kind !== "public") return { ok: false, reason: `${host} is an internal address (${kind})` };
    return { ok: true, addresses: [{ address: ip.toString(), family: ip.kind() === "ipv4" ? 4 : 6 }] };
  }
  const name = bare.toLowerCase().replace(/\.$/, "");
  if (name === "localhost" || name.endsWith(".localhost")) return { ok: false, reason: `${host} is a local name (localhost)` };
  let addresses: { address: string; family: number }[];
  try {
    addresses = await resolve(bare);
  } catch (err) {
    return { ok: false, reason: `cannot resolve ${host} (${err instanceof Error ? err.message : String(err)})` };
  }
  if (addresses.length === 0) return { ok: false, reason: `cannot resolve ${host} (no address)` };
  for (const a of addresses) {
    let kind: TAddressClass;
    try {
      kind = classifyAddress(a.address);
    } catch {
      return { ok: false, reason: `${host} resolves to ${JSON.stringify(a.address)}, not an IP address` };
    }
    if (kind !== "public") return { ok: false, reason: `${host} resolves to an internal address (${a.address}, ${kind})` };
  }
  return { ok: true, addresses };
}
