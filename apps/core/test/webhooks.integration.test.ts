// Webhooks from a real call to a real receiver on loopback: AVR event names, HMAC signatures,
// per-endpoint subscriptions, retries after a failing answer, each event accepted once.
import { createHmac, randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { openSecret, sealSecret } from "@dsai/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callerSpeech } from "../src/simulator/caller-voice.ts";
import { openCall, simulateCall } from "../src/simulator/simulate.ts";
import { webhookDeliveries } from "../src/tenant-api/data/webhooks.ts";
import { createTenantDbClient } from "../src/tenant-db.ts";
import { callTarget, startTenant, type TTenantHarness } from "./harness.ts";

const KEY = randomBytes(32);
const SECRET = "whsec_test_secret";
type TDelivery = {
  path: string;
  status: number;
  body: { uuid: string; type: string; payload: Record<string, unknown> };
  signatureOk: boolean;
};
const deliveries: TDelivery[] = [];
let receiver: Server;
let h: TTenantHarness;
let failNext = true;
let connections = 0;

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let text = "";
    req.on("data", (d: Buffer) => {
      text += d.toString();
    });
    req.on("end", () => {
      const timestamp = String(req.headers["x-dsai-timestamp"]);
      const expected = `v1=${createHmac("sha256", SECRET).update(`${timestamp}.${text}`).digest("hex")}`;
      // The first delivery fails once: the outbox must retry it.
      const status = failNext ? 500 : 204;
      failNext = false;
      deliveries.push({ path: req.url ?? "", status, body: JSON.parse(text), signatureOk: req.headers["x-dsai-signature"] === expected });
      res.writeHead(status).end();
    });
  });
  receiver.on("connection", () => connections++);
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
  // The receiver is on loopback, which production refuses (see the last test).
  h = await startTenant({ env: { CORE_SECRET_KEY: KEY.toString("base64"), CORE_WEBHOOKS_ALLOW_INTERNAL: "true" } });
  const base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  await h.core.store.createWebhookEndpoint({ url: `${base}/all`, secretCiphertext: sealSecret(KEY, SECRET), events: [] });
  await h.core.store.createWebhookEndpoint({ url: `${base}/ended`, secretCiphertext: sealSecret(KEY, SECRET), events: ["call_ended"] });
});
afterAll(async () => {
  await h?.close();
  receiver?.closeAllConnections();
  await new Promise((r) => receiver?.close(r));
});

describe("webhooks", () => {
  it("deliver every event of a call, signed, once each, retried after a failure", async () => {
    const summary = await simulateCall({
      ...callTarget(h),
      steps: [{ label: "goodbye", say: await callerSpeech("goodbye") }],
    });
    await h.core.calls.settled();
    const accepted = (path: string) => deliveries.filter((d) => d.path === path && d.status === 204 && d.body.uuid === summary.uuid);
    const deadline = Date.now() + 15_000;
    while (!accepted("/all").some((d) => d.body.type === "call_ended") || accepted("/ended").length === 0) {
      if (Date.now() > deadline)
        throw new Error(`webhooks not delivered: ${JSON.stringify(deliveries.map((d) => [d.path, d.status, d.body.type]))}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(deliveries.every((d) => d.signatureOk)).toBe(true);
    expect(deliveries.some((d) => d.status === 500)).toBe(true);
    const types = accepted("/all").map((d) => d.body.type);
    for (const t of ["call_initiated", "call_started", "transcription", "call_ended"]) expect(types).toContain(t);
    expect(types.filter((t) => t === "call_ended")).toHaveLength(1);
    expect(
      accepted("/all")
        .filter((d) => d.body.type === "transcription")
        .map((d) => d.body.payload),
    ).toContainEqual({ role: "user", text: "goodbye" });
    expect(accepted("/ended").map((d) => d.body.type)).toEqual(["call_ended"]);
    // Each event accepted once, although one was delivered twice (500, then 204).
    const keys = accepted("/all").map((d) => JSON.stringify(d.body));
    expect(new Set(keys).size).toBe(keys.length);

    // The tenant API shows each endpoint's deliveries: the one answered 500 first took two attempts
    // (its error is cleared once delivered).
    const tenantDb = createTenantDbClient(h.coreEnv.CORE_DATABASE_URL as string);
    try {
      const all = await tenantDb.webhookEndpoint.findFirstOrThrow({ where: { url: { endsWith: "/all" } } });
      const shown = await webhookDeliveries(tenantDb, { id: all.id, limit: 200 });
      const ofCall = shown.filter((d) => d.callId === summary.uuid);
      expect(ofCall.map((d) => d.event)).toContain("call_ended");
      expect(ofCall.every((d) => d.deliveredAt !== null && d.nextAttemptAt === null)).toBe(true);
      expect(ofCall.some((d) => d.attempts >= 2)).toBe(true);
      expect(ofCall.every((d) => d.lastError === null)).toBe(true);
    } finally {
      await tenantDb.$disconnect();
    }
  });

  it("keep signing secrets encrypted at rest", async () => {
    const row = (await h.tenantDb.query("SELECT secret_ciphertext FROM webhook_endpoint LIMIT 1")).rows[0];
    expect(row.secret_ciphertext).not.toContain(SECRET);
    expect(openSecret(KEY, row.secret_ciphertext)).toBe(SECRET);
    expect(() => openSecret(randomBytes(32), row.secret_ciphertext)).toThrow(/does not open/);
  });

  // Which addresses are internal is the address guard's (@dsai/contracts, with its own tests).
  it("refuse, by default, to reach an internal address, however it is written", async () => {
    const strict = await startTenant({ env: { CORE_SECRET_KEY: KEY.toString("base64") } });
    try {
      const [before, connectionsBefore] = [deliveries.length, connections];
      const port = (receiver.address() as AddressInfo).port;
      // Node's URL parser writes the IPv4-mapped host as [::ffff:7f00:1], which the hand-written
      // check this guard replaced let through.
      for (const url of [`http://127.0.0.1:${port}/strict`, `http://[::ffff:127.0.0.1]:${port}/mapped`])
        await strict.core.store.createWebhookEndpoint({ url, secretCiphertext: sealSecret(KEY, SECRET), events: [] });
      await openCall(callTarget(strict));
      await new Promise((r) => setTimeout(r, 500));
      await strict.core.outbox.flush();
      const rows = (await strict.tenantDb.query<{ last_error: string | null }>("SELECT last_error FROM outbox WHERE kind = 'webhook'"))
        .rows;
      expect(rows.length).toBeGreaterThan(1);
      expect(new Set(rows.map((r) => r.last_error))).toEqual(
        new Set([
          "unreachable: refused: 127.0.0.1 is an internal address (loopback)",
          "unreachable: refused: [::ffff:7f00:1] is an internal address (loopback)",
        ]),
      );
      expect(deliveries.length).toBe(before);
      expect(connections).toBe(connectionsBefore);
    } finally {
      await strict.close();
    }
  });
});
