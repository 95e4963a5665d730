// Speech-to-speech agents: the core relays the call to an STS service over the WebSocket contract
// (here the providers' STS peer, a real WebSocket server on loopback) and records what it says.
import { startStsPeer, type TStsPeer } from "@dsai/providers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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
