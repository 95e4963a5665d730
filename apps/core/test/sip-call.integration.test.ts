// Real SIP calls through a real Asterisk into a real tenant core: SIPp dials a generated
// tenant's number on 127.0.0.1, the shipped base config and the generated dialplan open the call
// at the core over HTTP (form-encoded CURL), AudioSocket carries the UUID and the audio, the
// caller's RTP endpoint hears the greeting, asks a recorded question, hears the scripted answer,
// says goodbye, and the agent hangs up (Asterisk sends the BYE). The call is recorded and billed
// once at the License Service. Also: an E.164 number, and a suspended tenant's refusal path.
// Skipped (with the reason printed) only when set-up found no Asterisk.
import { generateTenantConfig, type TTenantAsteriskInput } from "@dsai/asterisk";
import { asteriskForTests } from "@dsai/asterisk/testing/asterisk-install";
import { freeSipPort, startRealAsterisk, type TRealAsterisk } from "@dsai/asterisk/testing/real-asterisk";
import { sipCall, type TSipCallResult } from "@dsai/asterisk/testing/sip-caller";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callerSpeech } from "../src/simulator/caller-voice.ts";
import { GREETING, startTenant, TOKEN, type TTenantHarness } from "./harness.ts";

const install = asteriskForTests();

describe.skipIf(!install)("a real SIP call through a real Asterisk into the tenant core", () => {
  let h: TTenantHarness;
  let asterisk: TRealAsterisk;
  const callerPorts = { acme: 0, globex: 0 };

  beforeAll(async () => {
    h = await startTenant();
    callerPorts.acme = await freeSipPort();
    callerPorts.globex = await freeSipPort();
    // Each tenant's trunk is identified by the caller's source port; its own host is a port
    // nothing listens on (qualify probes go nowhere).
    const trunk = (port: number) => ({ id: "edge", mode: "ip" as const, host: "127.0.0.1", port: 9, match: [`127.0.0.1:${port}/32`] });
    const acme: TTenantAsteriskInput = {
      slug: "acme",
      status: "active",
      core: { host: "127.0.0.1", httpPort: Number(new URL(h.core.httpUrl).port), audioSocketPort: h.core.audioSocketPort },
      token: TOKEN,
      numbers: [
        { number: "+15551000", agentId: "support" },
        { number: "1000", agentId: "support" },
      ],
      trunks: [trunk(callerPorts.acme)],
    };
    const globex: TTenantAsteriskInput = {
      ...acme,
      slug: "globex",
      status: "suspended",
      numbers: [{ number: "+15552000", agentId: "support" }],
      trunks: [trunk(callerPorts.globex)],
    };
    asterisk = await startRealAsterisk({
      install: install as NonNullable<typeof install>,
      tenants: [acme, globex].map((t) => ({ slug: t.slug, files: generateTenantConfig(t).files })),
    });
  }, 120_000);

  afterAll(async () => {
    await asterisk?.stop();
    await h?.close();
  });

  const callsTo = async (number: string) =>
    (await h.tenantDb.query("SELECT * FROM call WHERE to_number = $1 ORDER BY opened_at", [number])).rows as Record<string, unknown>[];
  const voiceMs = (r: TSipCallResult, from: number, to = Number.POSITIVE_INFINITY) =>
    r.heard.filter((s) => s.startMs >= from && s.startMs < to).reduce((sum, s) => sum + (s.endMs - s.startMs), 0);

  it.each([
    ["an E.164 number", "+15551000"],
    ["an extension-style number", "1000"],
  ])(
    "answers %s: greeting, question, scripted answer, goodbye; recorded and billed once",
    async (_label, number) => {
      const result = await sipCall({
        asteriskPort: asterisk.sipPort,
        sourcePort: callerPorts.acme,
        number,
        caller: "+15550199",
        lines: [await callerSpeech("what are your opening hours"), await callerSpeech("goodbye")],
        timeoutMs: 60_000,
      });
      expect(result.sippExit, result.sippOutput).toBe(0);
      expect(result.said).toHaveLength(2);
      const [question, goodbye] = result.said as [{ startMs: number; endMs: number }, { startMs: number; endMs: number }];
      // The greeting before the question, the answer between question and goodbye, the farewell after.
      expect(voiceMs(result, 0, question.startMs)).toBeGreaterThan(1_500);
      expect(voiceMs(result, question.endMs, goodbye.startMs)).toBeGreaterThan(1_500);
      expect(voiceMs(result, goodbye.endMs)).toBeGreaterThan(500);

      await h.core.calls.settled();
      const [call] = await callsTo(number);
      expect(call).toMatchObject({
        status: "ended",
        hangup_cause: "agent_hangup",
        agent_id: "support",
        from_number: "+15550199",
        to_number: number,
      });
      const events = (await h.tenantDb.query("SELECT kind, role, text FROM call_event WHERE call_id = $1 ORDER BY id", [call?.id])).rows;
      expect(events.filter((e) => e.kind === "transcript").map((e) => `${e.role}: ${e.text}`)).toEqual([
        `agent: ${GREETING}`,
        "user: what are your opening hours",
        "agent: We are open from nine to five, Monday to Friday. Anything else?",
        "user: goodbye",
        "agent: Thank you for calling. Goodbye!",
      ]);
      await h.core.outbox.flush();
      await h.core.outbox.flush();
      const usage = (await h.license.admin.usageHistory({ licenseId: h.licenseId })).filter((u) => u.callId === call?.id);
      expect(usage).toHaveLength(1);
      expect(usage[0]?.seconds).toBe(call?.billed_seconds);
      expect(asterisk.errors()).toEqual([]);
    },
    90_000,
  );

  it("does not let a caller from another address pose as a tenant's trunk by its From user", async () => {
    const stranger = await freeSipPort();
    const result = await sipCall({
      asteriskPort: asterisk.sipPort,
      sourcePort: stranger,
      number: "+15551000",
      caller: "dsai_acme_trunk_edge",
      lines: [],
      timeoutMs: 10_000,
    });
    // Not identified, so challenged (401) instead of answered: the scenario fails at its 200.
    expect(result.sippExit).not.toBe(0);
    expect(result.sippOutput).toMatch(/401|403/);
    expect(result.packetsReceived).toBe(0);
    expect((await callsTo("+15551000")).filter((c) => c.from_number === "dsai_acme_trunk_edge")).toEqual([]);
  }, 30_000);

  it("refuses a suspended tenant's number: the refusal message is played, then Asterisk hangs up, and the core never hears of it", async () => {
    const result = await sipCall({
      asteriskPort: asterisk.sipPort,
      sourcePort: callerPorts.globex,
      number: "+15552000",
      caller: "+15550199",
      lines: [],
      timeoutMs: 20_000,
    });
    expect(result.sippExit, result.sippOutput).toBe(0);
    // ss-noservice lasts about 3 s.
    expect(voiceMs(result, 0)).toBeGreaterThan(1_500);
    expect(await callsTo("+15552000")).toEqual([]);
    expect(asterisk.errors()).toEqual([]);
  }, 40_000);
});
