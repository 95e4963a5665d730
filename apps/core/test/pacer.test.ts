// The shared pacer: one grid for every call, calls spread over phase slots, and a reply that
// starts while its call is idle moved to the next slot instead of waiting for its own.
import { describe, expect, it } from "vitest";
import { FRAME_MS, Pacer, SLOTS } from "../src/audiosocket/pacer.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

describe("pacer", () => {
  it("spreads the calls over phase slots: each wake-up writes a slot, not every call", async () => {
    const pacer = new Pacer();
    const batches: number[] = [];
    let open = false;
    const sendTimes: number[][] = [];
    const handles = Array.from({ length: 2 * SLOTS }, (_, i) => {
      sendTimes[i] = [];
      return pacer.add({
        sendFrame: () => {
          sendTimes[i]?.push(performance.now());
          // One batch = the frames written in one synchronous run of the timer.
          if (!open) {
            open = true;
            batches.push(0);
            queueMicrotask(() => {
              open = false;
            });
          }
          batches[batches.length - 1] = (batches[batches.length - 1] as number) + 1;
        },
      });
    });
    await sleep(400);
    for (const h of handles) h.remove();
    expect(pacer.size).toBe(0);
    // Two calls per slot; all 20 in one burst is what the single-grid pacer did.
    expect(median(batches)).toBe(2);
    for (const times of sendTimes) {
      expect(times.length).toBeGreaterThanOrEqual(15);
      const intervals = times.slice(1).map((t, k) => t - (times[k] as number));
      expect(Math.abs(median(intervals) - FRAME_MS)).toBeLessThan(2);
    }
    expect(pacer.stats.framesSent).toBe(sendTimes.reduce((n, t) => n + t.length, 0));
    expect(pacer.stats.intervals).toBe(pacer.stats.framesSent - sendTimes.length);
  });

  it("moves a call whose reply starts to the next slot: the first frame waits about 2 ms, not 20", async () => {
    const pacer = new Pacer();
    const others = Array.from({ length: SLOTS - 1 }, () => pacer.add({ sendFrame: () => {} }));
    let sent: (() => void) | undefined;
    const call = pacer.add({ sendFrame: () => sent?.() });
    const waits: number[] = [];
    for (let trial = 0; trial < 7; trial++) {
      // Right after the call's own frame, its next one is 20 ms away; rephase makes it the next slot.
      await new Promise<void>((r) => {
        sent = r;
      });
      const at = performance.now();
      call.rephase();
      await new Promise<void>((r) => {
        sent = r;
      });
      waits.push(performance.now() - at);
    }
    call.remove();
    for (const h of others) h.remove();
    expect(median(waits)).toBeLessThan(FRAME_MS / 2);
    expect(pacer.stats.rephases).toBeGreaterThanOrEqual(7);
  });
});
