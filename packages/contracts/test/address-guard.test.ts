import { describe, expect, it } from "vitest";
import { checkHostIsPublic, classifyAddress, isPublicAddress, type TResolve } from "../src/index.ts";

/** How Node's URL parser writes a host: `http://[::ffff:127.0.0.1]/` has the host `[::ffff:7f00:1]`. */
const hostOf = (url: string) => new URL(url).hostname;

/** Every form of an internal address, with the class it is refused as. */
const INTERNAL: [string, string][] = [
  ["127.0.0.1", "loopback"],
  ["::1", "loopback"],
  ["10.1.2.3", "private"],
  ["172.16.0.1", "private"],
  ["192.168.1.1", "private"],
  ["169.254.169.254", "linkLocal"],
  ["fe80::1", "linkLocal"],
  ["fd00::1", "uniqueLocal"],
  ["fec0::1", "siteLocal"],
  ["100.64.0.1", "carrierGradeNat"],
  ["0.0.0.0", "unspecified"],
  ["::", "unspecified"],
  ["224.0.0.1", "multicast"],
  ["ff02::1", "multicast"],
  ["255.255.255.255", "broadcast"],
  ["198.18.0.1", "benchmarking"],
  ["240.0.0.1", "reserved"],
  // IPv4-mapped, as written and as Node's URL parser writes it (bracketed or not).
  ["::ffff:127.0.0.1", "loopback"],
  [hostOf("http://[::ffff:127.0.0.1]/"), "loopback"],
  ["::ffff:7f00:1", "loopback"],
  ["::ffff:a9fe:a9fe", "linkLocal"],
  // IPv4-translated (RFC 6145) and IPv4-compatible.
  ["::ffff:0:7f00:1", "loopback"],
  ["::7f00:1", "loopback"],
  ["::127.0.0.1", "loopback"],
  // NAT64: the well-known prefix and the local-use one (the latter never public).
  ["64:ff9b::a00:1", "private"],
  ["64:ff9b::127.0.0.1", "loopback"],
  ["64:ff9b:1::a00:1", "private"],
  ["64:ff9b:1::808:808", "nat64Local"],
  // 6to4: the IPv4 in bits 16-48.
  ["2002:7f00:1::", "loopback"],
  ["2002:a9fe:a9fe::", "linkLocal"],
  ["2002:a00:1::1", "private"],
  // Teredo: the client's IPv4 is the last 32 bits inverted (7f00:0001 ^ ffff:ffff = 80ff:fffe).
  ["2001:0:4136:e378:8000:63bf:80ff:fffe", "loopback"],
  ["2001::5601:5601", "linkLocal"],
  // The short IPv4 forms the system resolver also reads.
  ["127.1", "loopback"],
  ["2130706433", "loopback"],
];

const PUBLIC = [
  "8.8.8.8",
  "1.1.1.1",
  "2606:4700::1111",
  "[2606:4700::1111]",
  "172.32.0.1",
  "100.128.0.1",
  "::ffff:8.8.8.8",
  "64:ff9b::808:808",
  "2002:808:808::1",
  "2001:0:4136:e378:8000:63bf:f7f7:f7f7", // Teredo client 8.8.8.8
  // Documentation ranges: never internal, and the tests' stand-in internet.
  "192.0.2.1",
  "198.51.100.1",
  "203.0.113.7",
  "2001:db8::1",
];

/**
 * The hand-written check the core's webhooks used before this guard (apps/core/src/webhooks.ts,
 * until 2026-12): kept here to show what it let through.
 */
function oldIsInternalAddress(address: string): boolean {
  const v4 = address.startsWith("::ffff:") ? address.slice(7) : address;
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(v4);
  if (m) {
    const [a, b] = [Number(m[1]), Number(m[2])];
    return (
      a === 0 ||
      a === 10 ||
      a === 127 ||
      (a === 100 && b >= 64 && b <= 127) ||
      (a === 169 && b === 254) ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      a >= 224
    );
  }
  const v6 = address.toLowerCase();
  return v6 === "::" || v6 === "::1" || v6.startsWith("fc") || v6.startsWith("fd") || v6.startsWith("fe80");
}

/** A faithful resolver peer: answers from a table, fails like getaddrinfo for anything else. */
function resolverOf(table: Record<string, string[]>): TResolve & { asked: string[] } {
  const asked: string[] = [];
  const resolve = async (host: string) => {
    asked.push(host);
    const addresses = table[host];
    if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: "ENOTFOUND" });
    return addresses.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
  };
  return Object.assign(resolve, { asked });
}

describe("classifyAddress", () => {
  it.each(INTERNAL)("refuses %s as %s", (address, kind) => {
    expect(classifyAddress(address)).toBe(kind);
    expect(isPublicAddress(address)).toBe(false);
  });

  it.each(PUBLIC)("lets %s through as public", (address) => {
    expect(classifyAddress(address)).toBe("public");
    expect(isPublicAddress(address)).toBe(true);
  });

  it("says clearly that a name is not an IP literal", () => {
    for (const notIp of ["example.com", "localhost", "", "[example.com]", "1.2.3.4.5", "::ffff:1.2.3.256"])
      expect(() => classifyAddress(notIp), notIp).toThrow(/^not an IP address: /);
  });

  it("refuses every IPv4-carrying form the old hand-written check let through, and all it refused", () => {
    const carried = [
      hostOf("http://[::ffff:127.0.0.1]/"), // [::ffff:7f00:1], which the old check saw unbracketed
      "::7f00:1",
      "64:ff9b::a00:1",
      "64:ff9b:1::a00:1",
      "2002:7f00:1::",
      "2002:a9fe:a9fe::",
      "2001:0:4136:e378:8000:63bf:80ff:fffe",
    ];
    expect(hostOf("http://[::ffff:127.0.0.1]/")).toBe("[::ffff:7f00:1]");
    // What postWebhook handed the old check: the host without its brackets.
    const unbracketed = (a: string) => a.replace(/^\[|\]$/g, "");
    const oldMissed = INTERNAL.map(([a]) => a).filter((a) => !oldIsInternalAddress(unbracketed(a)));
    expect(oldMissed).toEqual(expect.arrayContaining(carried));
    for (const address of oldMissed) expect(isPublicAddress(address), address).toBe(false);
    for (const [address] of INTERNAL.filter(([a]) => oldIsInternalAddress(a))) expect(isPublicAddress(address), address).toBe(false);
  });
});

describe("checkHostIsPublic", () => {
  it("checks an IP literal without resolving it", async () => {
    const resolve = resolverOf({});
    expect(await checkHostIsPublic("8.8.8.8", resolve)).toEqual({ ok: true, addresses: [{ address: "8.8.8.8", family: 4 }] });
    expect(await checkHostIsPublic("[2606:4700::1111]", resolve)).toEqual({
      ok: true,
      addresses: [{ address: "2606:4700::1111", family: 6 }],
    });
    expect(await checkHostIsPublic(hostOf("http://[::ffff:127.0.0.1]:8080/"), resolve)).toEqual({
      ok: false,
      reason: "[::ffff:7f00:1] is an internal address (loopback)",
    });
    expect(resolve.asked).toEqual([]);
  });

  it("lets a name through with all its addresses when every one is public", async () => {
    const resolve = resolverOf({ "llm.example.com": ["203.0.113.7", "2001:db8::7"] });
    expect(await checkHostIsPublic("llm.example.com", resolve)).toEqual({
      ok: true,
      addresses: [
        { address: "203.0.113.7", family: 4 },
        { address: "2001:db8::7", family: 6 },
      ],
    });
  });

  it("refuses a name when any of its addresses is internal", async () => {
    const resolve = resolverOf({
      "mixed.example.com": ["203.0.113.7", "127.0.0.1"],
      "mapped.example.com": ["::ffff:a9fe:a9fe"],
    });
    expect(await checkHostIsPublic("mixed.example.com", resolve)).toEqual({
      ok: false,
      reason: "mixed.example.com resolves to an internal address (127.0.0.1, loopback)",
    });
    expect(await checkHostIsPublic("mapped.example.com", resolve)).toEqual({
      ok: false,
      reason: "mapped.example.com resolves to an internal address (::ffff:a9fe:a9fe, linkLocal)",
    });
  });

  it("refuses localhost and names under it without resolving them", async () => {
    const resolve = resolverOf({ localhost: ["203.0.113.7"], "app.dsai.localhost": ["203.0.113.7"] });
    for (const host of ["localhost", "app.dsai.localhost", "LOCALHOST.", "license.dsai.localhost"]) {
      expect(await checkHostIsPublic(host, resolve)).toEqual({ ok: false, reason: `${host} is a local name (localhost)` });
    }
    expect(resolve.asked).toEqual([]);
  });

  it("refuses a name that resolves to nothing, or fails to resolve", async () => {
    const resolve = resolverOf({ "empty.example.com": [] });
    expect(await checkHostIsPublic("empty.example.com", resolve)).toEqual({
      ok: false,
      reason: "cannot resolve empty.example.com (no address)",
    });
    expect(await checkHostIsPublic("nowhere.example.com", resolve)).toEqual({
      ok: false,
      reason: "cannot resolve nowhere.example.com (getaddrinfo ENOTFOUND nowhere.example.com)",
    });
  });
});
