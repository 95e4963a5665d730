// The typed client against a real HTTP server on loopback that misbehaves on purpose: it must
// retry transient failures with the very same body and give up on client errors at once.
import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createLicenseClient, LicenseApiError } from "../src/index.ts";

let server: Server | undefined;
afterEach(async () => {
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
});

async function serve(
  handler: (n: number, body: string, res: import("node:http").ServerResponse) => void,
): Promise<{ url: string; bodies: string[] }> {
  const bodies: string[] = [];
  const listening = createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => {
      body += d.toString();
    });
    req.on("end", () => {
      bodies.push(body);
      handler(bodies.length, body, res);
    });
  });
  server = listening;
  await new Promise<void>((r) => listening.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(listening.address() as AddressInfo).port}`, bodies };
}

const update = () => ({ callId: randomUUID(), seconds: 30, startedAt: "2026-11-24T10:00:00Z", endedAt: "2026-11-24T10:00:30Z" });

describe("license client", () => {
  it("retries 503s and timeouts with the same callId and body until one succeeds", async () => {
    const { url, bodies } = await serve((n, _body, res) => {
      if (n === 1) return res.writeHead(503).end('{"error":{"code":"busy","message":"try later"}}');
      if (n === 2) return; // never answers: the client's timeout fires
      res.writeHead(200, { "content-type": "application/json" }).end('{"applied":true,"duplicate":false,"remainingSeconds":70}');
    });
    const client = createLicenseClient({ baseUrl: url, apiKey: "k", timeoutMs: 300, retries: 3, backoffMs: 10 });
    const body = update();
    expect(await client.update(randomUUID(), body)).toEqual({ applied: true, duplicate: false, remainingSeconds: 70 });
    expect(bodies).toHaveLength(3);
    expect(new Set(bodies)).toEqual(new Set([JSON.stringify(body)]));
  });

  it("does not retry a 4xx and surfaces the service's error code and field", async () => {
    const { url, bodies } = await serve((_n, _b, res) => {
      res
        .writeHead(400, { "content-type": "application/json" })
        .end('{"error":{"code":"invalid_input","message":"seconds: not negative","field":"seconds"}}');
    });
    const client = createLicenseClient({ baseUrl: url, apiKey: "k", retries: 3, backoffMs: 10 });
    const error = await client.update(randomUUID(), update()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LicenseApiError);
    expect(error).toMatchObject({ status: 400, code: "invalid_input", field: "seconds" });
    expect(bodies).toHaveLength(1);
  });

  it("gives up after its retries when the service stays down", async () => {
    const client = createLicenseClient({ baseUrl: "http://127.0.0.1:1", apiKey: "k", retries: 2, backoffMs: 5 });
    await expect(client.credits(randomUUID())).rejects.toThrow();
  });
});
