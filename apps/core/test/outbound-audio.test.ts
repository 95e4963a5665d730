import { describe, expect, it } from "vitest";
import { OutboundAudio } from "../src/audiosocket/outbound-audio.ts";

describe("outbound audio queue", () => {
  it("cuts PCM of any chunk size into exact 20 ms frames and pads only the very end", () => {
    const q = new OutboundAudio();
    q.enqueue(Buffer.alloc(100, 1));
    q.enqueue(Buffer.alloc(500, 2));
    expect(q.queuedMs).toBe(600 / 16);
    const a = q.nextFrame();
    expect(a.silent).toBe(false);
    expect(a.frame.subarray(0, 100).every((b) => b === 1)).toBe(true);
    expect(a.frame.subarray(100).every((b) => b === 2)).toBe(true);
    const b = q.nextFrame();
    expect(b.frame.length).toBe(320);
    expect(b.frame.subarray(0, 280).every((x) => x === 2)).toBe(true);
    expect(b.frame.subarray(280).every((x) => x === 0)).toBe(true);
    expect(q.nextFrame()).toMatchObject({ silent: true });
  });

  it("plays silence when idle and drops everything queued on clear (barge-in)", () => {
    const q = new OutboundAudio();
    let drained = 0;
    q.onDrained = () => drained++;
    q.enqueue(Buffer.alloc(3200, 5));
    q.nextFrame();
    q.clear();
    expect(q.idle).toBe(true);
    expect(q.nextFrame().silent).toBe(true);
    q.enqueue(Buffer.alloc(320, 5));
    q.nextFrame();
    expect(drained).toBe(1);
  });
});
