// POST /calls as the dialplan calls it: form-encoded, token in the query, text/plain answers
// that the dialplan tells apart with a regex; and AudioSocket refusing a UUID never opened.
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeUuid, FrameDecoder } from "../src/audiosocket/frame.ts";
import { openCall } from "../src/simulator/simulate.ts";
import { callTarget, startTenant, TOKEN, type TTenantHarness } from "./harness.ts";

let h: TTenantHarness;
beforeAll(async () => {
  h = await startTenant({ credits: 150, env: { CORE_RESERVE_SECONDS: "60" } });
});
afterAll(async () => {
  await h?.close();
});

const post = (body: string, token = TOKEN) =>
  fetch(`${h.core.httpUrl}/calls?token=${encodeURIComponent(token)}`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body,
  });

describe("POST /calls", () => {
  it("answers a call UUID as text/plain and records the opened call", async () => {
    const res = await post("agent=support&number=1000&caller=15550100");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
    const uuid = await res.text();
    expect(uuid).toMatch(/^[0-9a-f-]{36}$/);
    const row = (await h.tenantDb.query("SELECT status, from_number FROM call WHERE id = $1", [uuid])).rows[0];
    expect(row).toEqual({ status: "opened", from_number: "15550100" });
  });

  it("refuses a wrong token, bad fields and unknown agents with short codes", async () => {
    expect(await (await post("agent=support&number=1000&caller=1", "wrong")).text()).toBe("unauthorized");
    const bad = await post("agent=Support;DROP&number=1000&caller=1");
    expect(bad.status).toBe(400);
    expect(await bad.text()).toBe("bad_request agent");
    expect(await (await post("agent=support&number=12a&caller=1")).text()).toBe("bad_request number");
    expect(await (await post("agent=support&number=1000&caller=$(reboot)")).text()).toBe("bad_request caller");
    const unknown = await post("agent=sales&number=1000&caller=1");
    expect([unknown.status, await unknown.text()]).toEqual([404, "unknown_agent"]);
  });

  it("refuses new calls at once when the tenant is suspended, and takes them again when reactivated", async () => {
    await h.core.store.setTenantStatus("suspended");
    expect(await openCall(callTarget(h))).toEqual({ refused: "suspended" });
    await h.core.store.setTenantStatus("active");
    expect(await openCall(callTarget(h))).toHaveProperty("uuid");
  });

  it("refuses with no_credit once the reservations of open calls hold all the credit", async () => {
    // 150 s of credit, 60 s reserved per call; two calls were opened above and still hold theirs.
    expect(await openCall(callTarget(h))).toEqual({ refused: "no_credit" });
    expect(h.core.metrics.callsRefused.get({ reason: "no_credit" })).toBe(1);
  });
});

describe("AudioSocket", () => {
  it("refuses a UUID that was never opened with a hang-up frame", async () => {
    const socket = connect(h.core.audioSocketPort, "127.0.0.1");
    await new Promise((r) => socket.once("connect", r));
    socket.write(encodeUuid("6f1d6c1e-1111-4222-8333-944455556666"));
    const frames = [];
    const decoder = new FrameDecoder();
    for await (const chunk of socket) frames.push(...decoder.push(chunk as Buffer));
    expect(frames.map((f) => f.kind)).toEqual(["hangup"]);
    expect(h.core.metrics.protocolErrors.get()).toBeGreaterThan(0);
  });
});
