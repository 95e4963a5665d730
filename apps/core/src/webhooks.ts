// Webhooks (AVR event names, signed; the contract is in @dsai/contracts): posted to each enabled
// endpoint subscribed to the type, through the outbox (so they never block audio and survive
// restarts), never to an internal address (the address guard in @dsai/contracts: the core sits
// on networks shared with the platform, so a webhook URL must not become a way to probe them).
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import type { LookupFunction } from "node:net";
import { checkHostIsPublic, type TResolve, type TWebhookEvent } from "@dsai/contracts";

export type TWebhookItem = { type: TWebhookEvent; timestamp: string; payload: Record<string, unknown> };

/** A webhook is given up after this many failed deliveries (about 1.5 h of back-off). */
export const WEBHOOK_MAX_ATTEMPTS = 20;

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
  let addresses: { address: string; family: number }[];
  if (o.allowInternal) {
    addresses = await o.resolve(host).catch(() => []);
  } else {
    const checked = await checkHostIsPublic(url.hostname, o.resolve);
    if (!checked.ok) throw new Error(`refused: ${checked.reason}`);
    addresses = checked.addresses;
  }
  const first = addresses[0];
  if (!first) throw new Error(`cannot resolve ${host}`);
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
