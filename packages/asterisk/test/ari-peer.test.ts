// The ARI protocol peer itself: its event WebSocket speaks as Asterisk's does (auth by
// api_key, events of the subscribed application only), so tests of event consumers can trust it.
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { RECORDED_EVENTS, startAriPeer, type TAriPeer } from "../testing/ari-peer.ts";

let peer: TAriPeer;
afterEach(async () => {
  await peer?.close();
});

function open(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once("open", () => resolve(ws));
    ws.once("error", reject);
    ws.once("unexpected-response", (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
}

describe("ARI protocol peer", () => {
  it("delivers a recorded StasisStart to the subscribed application's WebSocket only", async () => {
    peer = await startAriPeer();
    const ws = (path: string) => `${peer.url.replace("http", "ws")}${path}&api_key=${peer.user}:${peer.password}`;
    const acme = await open(ws("/ari/events?app=dsai_acme"));
    const other = await open(ws("/ari/events?app=dsai_other"));
    const got: unknown[] = [];
    const gotOther: unknown[] = [];
    acme.on("message", (m) => got.push(JSON.parse(String(m))));
    other.on("message", (m) => gotOther.push(JSON.parse(String(m))));
    peer.emit("dsai_acme", RECORDED_EVENTS[0] as Record<string, unknown>);
    await new Promise((r) => setTimeout(r, 100));
    expect(got).toEqual([expect.objectContaining({ type: "StasisStart", application: "dsai_acme" })]);
    expect(gotOther).toEqual([]);
    acme.close();
    other.close();
  });

  it("refuses an event WebSocket without valid credentials", async () => {
    peer = await startAriPeer();
    await expect(open(`${peer.url.replace("http", "ws")}/ari/events?app=dsai_acme&api_key=x:y`)).rejects.toThrow();
  });
});
