// Full calls through the real offline providers, driven by the call simulator exactly as
// Asterisk would drive the core.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callerSpeech } from "../src/simulator/caller-voice.ts";
import { simulateCall } from "../src/simulator/simulate.ts";
import { callTarget, GREETING, startTenant, TOKEN, type TTenantHarness } from "./harness.ts";

let h: TTenantHarness;
beforeAll(async () => {
  h = await startTenant();
});
afterAll(async () => {
  await h?.close();
});

// Numbers in E.164, to see them recorded as given.
const target = () => ({ ...callTarget(h), number: "+15550100", caller: "+15550199" });

describe("a simulated call with the offline providers", () => {
  it("hears the greeting, gets the scripted answer, hangs up, and is recorded and billed exactly once", async () => {
    const summary = await simulateCall({
      ...target(),
      steps: [
        { label: "what are your opening hours", say: await callerSpeech("what are your opening hours") },
        { label: "goodbye", say: await callerSpeech("goodbye") },
      ],
    });
    expect(summary.refused).toBeUndefined();
    expect(summary.greetingHeard).toBe(true);
    expect(summary.replyLatencyMs.every((ms) => ms !== null)).toBe(true);
    expect(summary.hangupCause).toBe("agent_hangup");

    await h.core.calls.settled();
    const call = (await h.tenantDb.query("SELECT * FROM call WHERE id = $1", [summary.uuid])).rows[0];
    expect(call).toMatchObject({
      status: "ended",
      hangup_cause: "agent_hangup",
      agent_id: "support",
      from_number: "+15550199",
      to_number: "+15550100",
    });
    expect(call.billed_seconds).toBeGreaterThan(3);
    const events = (await h.tenantDb.query("SELECT kind, role, text FROM call_event WHERE call_id = $1 ORDER BY id", [summary.uuid])).rows;
    const transcript = events.filter((e) => e.kind === "transcript").map((e) => `${e.role}: ${e.text}`);
    expect(transcript).toEqual([
      `agent: ${GREETING}`,
      "user: what are your opening hours",
      "agent: We are open from nine to five, Monday to Friday. Anything else?",
      "user: goodbye",
      "agent: Thank you for calling. Goodbye!",
    ]);
    expect(events.filter((e) => e.kind === "latency")).toHaveLength(2);

    // The usage reaches the License Service once, however often the outbox runs.
    await h.core.outbox.flush();
    await h.core.outbox.flush();
    const usage = await h.license.admin.usageHistory({ licenseId: h.licenseId });
    expect(usage.filter((u) => u.callId === summary.uuid)).toHaveLength(1);
    expect(usage.find((u) => u.callId === summary.uuid)?.seconds).toBe(call.billed_seconds);
    const shown = await h.license.admin.showLicense(h.licenseId);
    expect(Number(shown.balanceSeconds)).toBe(3_600 - call.billed_seconds);
    expect(Number(shown.reservedSeconds)).toBe(0);
  });

  it("stops talking when the caller talks over it (barge-in), then answers what was said", async () => {
    const summary = await simulateCall({
      ...target(),
      steps: [
        { label: "what are your opening hours", say: await callerSpeech("what are your opening hours"), overAgent: true },
        { label: "goodbye", say: await callerSpeech("goodbye") },
      ],
    });
    expect(summary.hangupCause).toBe("agent_hangup");
    await h.core.calls.settled();
    const events = (await h.tenantDb.query("SELECT kind, role, text FROM call_event WHERE call_id = $1 ORDER BY id", [summary.uuid])).rows;
    const kinds = events.map((e) => (e.kind === "transcript" ? `${e.role}: ${e.text}` : e.kind));
    // The greeting was cut short by the caller, whose question was then answered.
    expect(kinds.slice(0, 4)).toEqual([
      `agent: ${GREETING}`,
      "interruption",
      "user: what are your opening hours",
      "agent: We are open from nine to five, Monday to Friday. Anything else?",
    ]);
    expect(h.core.metrics.interruptions.get()).toBeGreaterThanOrEqual(1);
  });

  it("takes DTMF digits as user messages (0 transfers) and tells the dialplan where to go", async () => {
    const summary = await simulateCall({ ...target(), steps: [{ dtmf: "0" }] });
    expect(summary.hangupCause).toBe("agent_hangup");
    await h.core.calls.settled();
    const call = (await h.tenantDb.query("SELECT hangup_cause, transfer_target FROM call WHERE id = $1", [summary.uuid])).rows[0];
    expect(call).toEqual({ hangup_cause: "transfer", transfer_target: "200" });
    const next = await fetch(`${h.core.httpUrl}/calls/${summary.uuid}/next?token=${TOKEN}`);
    expect(await next.text()).toBe("200");
    expect(await (await fetch(`${h.core.httpUrl}/calls/${summary.uuid}/next?token=wrong`)).text()).toBe("unauthorized");
  });
});
