// Webhooks (AVR event names, signed; the contract is in @dsai/contracts): posted to each enabled
// endpoint subscribed to the type, through the outbox (so they never block audio and survive
// restarts), never to an internal address.
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
