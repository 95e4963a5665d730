import { describe, expect, it } from "vitest";
import { MAX_QUEUED_MS, OutboundAudio } from "../src/audiosocket/outbound-audio.ts";

describe("outbound audio queue", () => {
  it("cuts PCM of any chunk size into exact 20 ms frames and pads only the very end", () => {
    const q = new OutboundAudio();
    q.enqueue(Buffer.alloc(100, 1));
    q.enqueue(Buffer.alloc(500, 2));
    expect(q.queuedMs).toBe(600 / 16);
    const next = () => {
      const frame = Buffer.alloc(322, 9);
      return q.readFrameInto(frame, 2) ? frame.subarray(2) : undefined;
    };
    const a = next() as Buffer;
    expect(a.length).toBe(320);
    expect(a.subarray(0, 100).every((b) => b === 1)).toBe(true);
    expect(a.subarray(100).every((b) => b === 2)).toBe(true);
    const b = next() as Buffer;
    expect(b.length).toBe(320);
    expect(b.subarray(0, 280).every((x) => x === 2)).toBe(true);
    expect(b.subarray(280).every((x) => x === 0)).toBe(true);
    expect(next()).toBeUndefined();
  });

  it("plays silence when idle and drops everything queued on clear (barge-in)", () => {
    const q = new OutboundAudio();
    let drained = 0;
    q.onDrained = () => drained++;
    q.enqueue(Buffer.alloc(3200, 5));
    const frame = Buffer.alloc(320);
    q.readFrameInto(frame, 0);
    q.clear();
    expect(q.idle).toBe(true);
    expect(q.readFrameInto(frame, 0)).toBe(false);
    q.enqueue(Buffer.alloc(320, 5));
    q.readFrameInto(frame, 0);
    expect(drained).toBe(1);
  });

  it("has room until MAX_QUEUED_MS is queued, then again once it has played below it, or on clear", async () => {
    const q = new OutboundAudio();
    const second = Buffer.alloc(16_000); // 1 s
    let room = false;
    await q.room(); // empty: at once
    for (let s = 0; s < MAX_QUEUED_MS / 1_000; s++) q.enqueue(second);
    void q.room().then(() => {
      room = true;
    });
    const frame = Buffer.alloc(320);
    q.readFrameInto(frame, 0);
    await new Promise((r) => setImmediate(r));
    expect(room).toBe(true); // 20 ms played: below the cap
    for (let s = 0; s < 5; s++) q.enqueue(second);
    room = false;
    void q.room().then(() => {
      room = true;
    });
    await new Promise((r) => setImmediate(r));
    expect(room).toBe(false);
    q.clear(); // barge-in
    await new Promise((r) => setImmediate(r));
    expect(room).toBe(true);
  });
});
