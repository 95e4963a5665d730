// Provider failures end or degrade only the turn they hit: the caller hears an apology, the error
// is recorded with the call and counted, and the call goes on. The LLM here is a misbehaving
// peer of the AVR LLM contract (a real HTTP server on loopback), chosen by what the caller says.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { LLM_PATH } from "@dsai/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callerSpeech } from "../src/simulator/caller-voice.ts";
import { simulateCall } from "../src/simulator/simulate.ts";
import { callTarget, startTenant, type TTenantHarness } from "./harness.ts";

let h: TTenantHarness;
let peer: Server;

/** price -> HTTP 500; opening hours -> invalid JSON; person -> never answers; goodbye -> never ends. */
function misbehavingLlm(): Server {
  return createServer((req, res) => {
    if (req.method !== "POST" || req.url !== LLM_PATH) return res.writeHead(404).end();
    let body = "";
    req.on("data", (d: Buffer) => {
      body += d.toString();
    });
    req.on("end", () => {
      const message = (JSON.parse(body) as { message: string }).message;
      if (message.includes("price")) return res.writeHead(500).end("boom");
      if (message.includes("opening")) return res.writeHead(200).end('{"type":"text","content":"We are"}<html>oops</html>');
      if (message.includes("person")) return; // hangs
      res.writeHead(200);
      const endless = setInterval(() => res.write('{"type":"text","content":"and so on "}'), 50);
      res.on("close", () => clearInterval(endless));
    });
  });
}

beforeAll(async () => {
  peer = misbehavingLlm();
  await new Promise<void>((r) => peer.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(peer.address() as AddressInfo).port}`;
  h = await startTenant({
    llm: { url, port: 0, close: async () => {} },
    env: { CORE_PROVIDER_RESPONSE_TIMEOUT_MS: "1500", CORE_PROVIDER_IDLE_TIMEOUT_MS: "1500", CORE_TURN_TIMEOUT_MS: "4000" },
  });
});
afterAll(async () => {
  await h?.close();
  peer?.closeAllConnections();
  await new Promise((r) => peer?.close(r));
});

describe("a provider that fails", () => {
  it("costs the caller one apology per failed turn, never the call", async () => {
    const phrases = ["what is the price", "what are your opening hours", "i want to talk to a person", "goodbye"];
    const steps = [];
    for (const p of phrases) steps.push({ label: p, say: await callerSpeech(p) });
    const summary = await simulateCall({
      ...callTarget(h),
      steps,
    });
    // Every turn was answered (with an apology) and the caller hung up: the call survived.
    expect(summary.replyLatencyMs.every((ms) => ms !== null)).toBe(true);
    expect(summary.hangupCause).toBe("caller_hangup");
    await h.core.calls.settled();
    const errors = (
      await h.tenantDb.query("SELECT text, data FROM call_event WHERE call_id = $1 AND kind = 'error' ORDER BY id", [summary.uuid])
    ).rows;
    expect(errors.map((e) => e.text)).toEqual([
      "llm: answered HTTP 500",
      expect.stringMatching(/^llm: expected a JSON object/),
      "llm: no response within 1500 ms",
      "llm: reply took over 4000 ms",
    ]);
    expect(h.core.metrics.providerErrors.get({ provider: "llm" })).toBe(4);
    const call = (await h.tenantDb.query("SELECT status, hangup_cause FROM call WHERE id = $1", [summary.uuid])).rows[0];
    expect(call).toEqual({ status: "ended", hangup_cause: "caller_hangup" });
  });
});

describe("a tenant-given provider at an internal address", () => {
  it("is refused by a core that allows none: nothing reaches it, and the call records why", async () => {
    // A service inside (the License Service's admin API, the host...): it must hear nothing.
    let connections = 0;
    const inside = createServer((_req, res) => res.writeHead(500).end());
    inside.on("connection", () => connections++);
    await new Promise<void>((r) => inside.listen(0, "127.0.0.1", r));
    // The default: URL-type providers reach public addresses only (the harness's own providers,
    // URL-type profiles on loopback, are refused too).
    const strict = await startTenant({ env: { CORE_PROVIDERS_ALLOW_INTERNAL: "false" } });
    try {
      const port = (inside.address() as AddressInfo).port;
      await strict.tenantDb.query("UPDATE provider_profile SET url = $1 WHERE kind = 'llm'", [`http://[::ffff:127.0.0.1]:${port}`]);
      const summary = await simulateCall({ ...callTarget(strict), turnTimeoutMs: 2_000, steps: [{ dtmf: "1" }] });
      expect(summary.greetingHeard).toBe(false);
      await strict.core.calls.settled();
      const errors = (
        await strict.tenantDb.query<{ text: string }>("SELECT text FROM call_event WHERE call_id = $1 AND kind = 'error' ORDER BY id", [
          summary.uuid,
        ])
      ).rows.map((e) => e.text);
      expect(errors).toContain("llm: refused: [::ffff:7f00:1] is an internal address (loopback)");
      expect(errors).toContain("tts: refused: 127.0.0.1 is an internal address (loopback)");
      expect(errors).toContain("asr: refused: 127.0.0.1 is an internal address (loopback)");
      expect(connections).toBe(0);
      const call = (await strict.tenantDb.query("SELECT status FROM call WHERE id = $1", [summary.uuid])).rows[0];
      expect(call).toEqual({ status: "ended" });
    } finally {
      await strict.close();
      inside.closeAllConnections();
      await new Promise((r) => inside.close(r));
    }
  });
});
