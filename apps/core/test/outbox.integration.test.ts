// The outbox under a slow webhook endpoint, for real: a call's usage reaches the License Service
// while the tenant's webhook endpoint still holds its first delivery open (usage and webhooks are
// lanes that never wait for each other; no transaction stays open across a delivery). And the
// webhook connection goes to the address its host name resolved to when it was checked.
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { sealSecret } from "@dsai/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callerSpeech } from "../src/simulator/caller-voice.ts";
import { simulateCall } from "../src/simulator/simulate.ts";
import { postWebhook } from "../src/webhooks.ts";
import { callTarget, startTenant, type TTenantHarness } from "./harness.ts";

const KEY = randomBytes(32);
const SLOW_MS = 3_000;

const listen = async (handler: (req: IncomingMessage, answer: (status: number) => void) => void): Promise<Server> => {
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => handler(req, (status) => res.writeHead(status).end()));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return server;
};
const close = async (server: Server | undefined) => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
};
const portOf = (server: Server) => (server.address() as AddressInfo).port;

describe("the outbox with a slow webhook endpoint", () => {
  let h: TTenantHarness;
  let slow: Server;
  /** Deliveries the endpoint has received and not yet answered. */
  let held = 0;

  beforeAll(async () => {
    // Every delivery is answered only after SLOW_MS (within the 5 s webhook timeout).
    slow = await listen((_req, answer) => {
      held++;
      setTimeout(() => {
        held--;
        answer(204);
      }, SLOW_MS);
    });
    h = await startTenant({ env: { CORE_SECRET_KEY: KEY.toString("base64"), CORE_WEBHOOKS_ALLOW_INTERNAL: "true" } });
    await h.core.store.createWebhookEndpoint({
      url: `http://127.0.0.1:${portOf(slow)}/hooks`,
      secretCiphertext: sealSecret(KEY, "whsec_slow"),
      events: [],
    });
  });
  afterAll(async () => {
    await h?.close();
    await close(slow);
  });

  it("reports a call's usage while the webhook endpoint still holds its first delivery", async () => {
    const summary = await simulateCall({ ...callTarget(h), steps: [{ label: "goodbye", say: await callerSpeech("goodbye") }] });
    await h.core.calls.settled();
    const endedAt = Date.now();
    let billedAt = 0;
    let heldWhenBilled = 0;
    while (!billedAt && Date.now() - endedAt < 10_000) {
      const usage = await h.license.admin.usageHistory({ licenseId: h.licenseId });
      if (usage.some((u) => u.callId === summary.uuid)) {
        billedAt = Date.now();
        heldWhenBilled = held;
      } else await new Promise((r) => setTimeout(r, 50));
    }
    expect(billedAt, "the call's usage never reached the License Service").toBeGreaterThan(0);
    // Billed within a moment of the call's end (behind one slow webhook it would take SLOW_MS),
    // while the endpoint still held the call's last events.
    expect(billedAt - endedAt).toBeLessThan(1_500);
    expect(heldWhenBilled).toBeGreaterThan(0);
  }, 60_000);
});

describe("a webhook's connection", () => {
  let receiver: Server;
  const hosts: string[] = [];

  beforeAll(async () => {
    receiver = await listen((req, answer) => {
      hosts.push(String(req.headers.host));
      answer(204);
    });
  });
  afterAll(() => close(receiver));

  it("goes to the address the name resolved to when it was checked, once per delivery", async () => {
    const asked: string[] = [];
    // A faithful resolver peer: the name resolves to this machine's loopback, where the receiver is.
    const resolve = async (host: string) => {
      asked.push(host);
      return [{ address: "127.0.0.1", family: 4 }];
    };
    const status = await postWebhook({
      url: `http://hooks.example.test:${portOf(receiver)}/in`,
      headers: { "content-type": "application/json" },
      body: "{}",
      timeoutMs: 2_000,
      allowInternal: true,
      resolve,
    });
    expect(status).toBe(204);
    expect(asked).toEqual(["hooks.example.test"]);
    expect(hosts).toEqual([`hooks.example.test:${portOf(receiver)}`]);
  });

  it("is never opened when the name resolves to an internal address", async () => {
    const before = hosts.length;
    await expect(
      postWebhook({
        url: `http://hooks.example.test:${portOf(receiver)}/in`,
        headers: {},
        body: "{}",
        timeoutMs: 2_000,
        allowInternal: false,
        resolve: async () => [
          { address: "203.0.113.7", family: 4 },
          { address: "127.0.0.1", family: 4 },
        ],
      }),
    ).rejects.toThrow("refused: hooks.example.test resolves to an internal address (127.0.0.1, loopback)");
    expect(hosts).toHaveLength(before);
  });
});
