// Webhooks (AVR event names, signed; the contract is in @dsai/contracts): posted to each enabled
// endpoint subscribed to the type, through the outbox (so they never block audio and survive
// restarts), never to an internal address.
import { lookup } from "node:dns/promises";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import type { LookupFunction } from "node:net";
import type { TWebhookEvent } from "@dsai/contracts";

export type TWebhookItem = { type: TWebhookEvent; timestamp: string; payload: Record<string, unknown> };

/** A webhook is given up after this many failed deliveries (about 1.5 h of back-off). */
export const WEBHOOK_MAX_ATTEMPTS = 20;

/**
 * Whether `address` is one a tenant's webhook must not reach: loopback, private (RFC 1918, CGNAT,
 * IPv6 unique-local), link-local (cloud metadata) or unspecified. The core sits on networks
 * shared with the platform (the Asterisk network), so a webhook URL must not become a way to
 * probe them.
 */
export function isInternalAddress(address: string): boolean {
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

/** Resolves a host name to its addresses (the system resolver; tests give a faithful one of their own). */
export type TResolve = (host: string) => Promise<{ address: string; family: number }[]>;
export const systemResolve: TResolve = (host) => lookup(host, { all: true });

/**
 * POSTs a webhook to the address its host name resolved to when it was checked: the connection
 * is pinned to that address (TLS still verifies the name), so a name re-pointed between the check
 * and the connection (DNS rebinding) cannot send the request inside. Redirects are not followed.
 * Answers the HTTP status.
 */
export async function postWebhook(o: {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  allowInternal: boolean;
  resolve: TResolve;
}): Promise<number> {
  const url = new URL(o.url);
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const addresses = await o.resolve(host).catch(() => []);
  const first = addresses[0];
  if (!first) throw new Error(`cannot resolve ${host}`);
  if (!o.allowInternal) {
    const internal = addresses.find((a) => isInternalAddress(a.address));
    if (internal) throw new Error(`refused: ${host} resolves to an internal address (${internal.address})`);
  }
  const pinned: LookupFunction = (_host, options, callback) =>
    options.all ? callback(null, [first]) : callback(null, first.address, first.family);
  const request = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: "POST",
        headers: { ...o.headers, "content-length": String(Buffer.byteLength(o.body)) },
        lookup: pinned,
        signal: AbortSignal.timeout(o.timeoutMs),
      },
      (res) => {
        res.resume(); // the answer's body is not read: only its status counts
        res.on("end", () => resolve(res.statusCode ?? 0));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(o.body);
  });
}
