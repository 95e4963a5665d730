// Speech-to-speech agents: the core relays the call to an STS service over the WebSocket contract
// (here the providers' STS peer, a real WebSocket server on loopback) and records what it says.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { startStsPeer, type TStsPeer } from "@dsai/providers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAddressGuard } from "../src/address-guard.ts";
import { createStsSession } from "../src/calls/sts-session.ts";
import type { TCallEventInput } from "../src/calls/types.ts";
import { createMetrics } from "../src/metrics.ts";
import { callerSpeech } from "../src/simulator/caller-voice.ts";
import { simulateCall } from "../src/simulator/simulate.ts";
import { callTarget, startTenant, type TTenantHarness } from "./harness.ts";

let h: TTenantHarness;
let peer: TStsPeer;
beforeAll(async () => {
  h = await startTenant();
  peer = await startStsPeer({ host: "127.0.0.1", port: 0, replyMs: 2_000 });
  const profile = await h.tenantDb.query<{ id: string }>(
    "INSERT INTO provider_profile (id, name, kind, url) VALUES (gen_random_uuid(), 'sts', 'sts', $1) RETURNING id",
    [peer.url],
  );
  await h.tenantDb.query("INSERT INTO agent (id, name, mode, sts_profile_id) VALUES ('voice', 'Voice', 'sts', $1)", [profile.rows[0]?.id]);
});
afterAll(async () => {
  await h?.close();
  await peer?.close();
});

describe("a speech-to-speech agent", () => {
  it("greets, is interrupted, answers words and digits, and reports its errors", async () => {
    const summary = await simulateCall({
      ...callTarget(h, "voice"),
      turnTimeoutMs: 4_000,
      steps: [{ label: "price", say: await callerSpeech("what is the price"), overAgent: true }, { dtmf: "5" }, { dtmf: "#" }],
    });
    expect(summary.greetingHeard).toBe(true);
    expect(summary.replyLatencyMs.slice(0, 2).every((ms) => ms !== null)).toBe(true);
    expect(summary.hangupCause).toBe("caller_hangup");
    await h.core.calls.settled();
    const events = (await h.tenantDb.query("SELECT kind, role, text FROM call_event WHERE call_id = $1 ORDER BY id", [summary.uuid])).rows;
    const lines = events.map((e) => (e.kind === "transcript" ? `${e.role}: ${e.text}` : `${e.kind}${e.text ? `: ${e.text}` : ""}`));
    expect(lines[0]).toBe("agent: Hello from the speech-to-speech peer.");
    expect(lines[1]).toBe("interruption");
    expect(lines[2]).toMatch(/^user: utterance 1 of \d+ ms$/);
    expect(lines.slice(4)).toEqual([
      "dtmf: 5",
      "user: DTMF 5",
      "agent: You said: DTMF 5.",
      "dtmf: #",
      "error: sts: the peer was asked to fail",
    ]);
    const call = (await h.tenantDb.query("SELECT status, billed_seconds FROM call WHERE id = $1", [summary.uuid])).rows[0];
    expect(call.status).toBe("ended");
    expect(call.billed_seconds).toBeGreaterThan(3);
  });

  it("ends the call when the STS service cannot be reached", async () => {
    await h.tenantDb.query("UPDATE provider_profile SET url = 'ws://127.0.0.1:1' WHERE name = 'sts'");
    const summary = await simulateCall({
      ...callTarget(h, "voice"),
      turnTimeoutMs: 2_000,
      steps: [{ dtmf: "1" }],
    });
    expect(summary.hangupCause).toBe("agent_hangup");
    await h.core.calls.settled();
    const errors = (await h.tenantDb.query("SELECT text FROM call_event WHERE call_id = $1 AND kind = 'error'", [summary.uuid])).rows;
    expect(errors[0]?.text).toMatch(/^sts: /);
  });
});

describe("a tenant-given STS service at an internal address", () => {
  it("is refused before a connection, as an IPv4-mapped literal or as a name that resolves inside; the call ends", async () => {
    // A service inside (the License Service's admin API, the host...): it must hear nothing.
    let connections = 0;
    const inside = createServer((_req, res) => res.writeHead(500).end());
    inside.on("connection", () => connections++);
    await new Promise<void>((r) => inside.listen(0, "127.0.0.1", r));
    const port = (inside.address() as AddressInfo).port;
    // A faithful resolver peer: the name the tenant gave resolves to this machine's loopback.
    const guard = createAddressGuard(async () => [{ address: "127.0.0.1", family: 4 }]);
    const metrics = createMetrics({ activeCalls: () => 1, pacer: () => ({}) as never, senderSliceUs: () => 0, outboxBacklog: () => 0 });
    try {
      for (const [url, why] of [
        [`ws://[::ffff:127.0.0.1]:${port}`, "sts: refused: [::ffff:7f00:1] is an internal address (loopback)"],
        [`ws://sts.tenant.example:${port}`, "sts: refused: sts.tenant.example resolves to an internal address (127.0.0.1, loopback)"],
      ] as const) {
        const events: TCallEventInput[] = [];
        let hungUp = false;
        const session = createStsSession({
          uuid: "00000000-0000-4000-8000-000000000040",
          agentId: "voice",
          url,
          guard,
          metrics,
          connectTimeoutMs: 2_000,
          recordEvent: (e) => events.push(e),
          log: () => {},
          onEnded: () => {},
        });
        // As the AudioSocket server's hang-up does: the session ends at once.
        session.bindHangup(() => {
          hungUp = true;
          session.onEnd("agent_hangup");
        });
        for (let waited = 0; !hungUp && waited < 2_000; waited += 20) await new Promise((r) => setTimeout(r, 20));
        expect(hungUp).toBe(true);
        expect(events).toEqual([{ kind: "error", text: why, data: { provider: "sts" } }]);
      }
      expect(connections).toBe(0);
    } finally {
      inside.closeAllConnections();
      await new Promise((r) => inside.close(r));
    }
  });
});
