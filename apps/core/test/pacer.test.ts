// The shared pacer: one grid for every call, calls spread over phase slots once there are many
// (few calls share a slot: a wake-up costs more than a write), and a reply that starts while its
// call is idle moved to a slot due sooner instead of waiting for its own.
import { describe, expect, it } from "vitest";
import { FRAME_MS, Pacer, SLOT_FILL, SLOTS } from "../src/audiosocket/pacer.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

describe("pacer", () => {
  /** Frames per wake-up (one synchronous run of the timer) while `count` calls are paced. */
  async function burstsOf(count: number) {
    const pacer = new Pacer();
    const batches: number[] = [];
    let open = false;
    const sendTimes: number[][] = [];
    const handles = Array.from({ length: count }, (_, i) => {
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
    for (const times of sendTimes) {
      expect(times.length).toBeGreaterThanOrEqual(15);
      const intervals = times.slice(1).map((t, k) => t - (times[k] as number));
      expect(Math.abs(median(intervals) - FRAME_MS)).toBeLessThan(2);
    }
    expect(pacer.stats.framesSent).toBe(sendTimes.reduce((n, t) => n + t.length, 0));
    expect(pacer.stats.intervals).toBe(pacer.stats.framesSent - sendTimes.length);
    return { batches, wakeUps: batches.length };
  }

  it("spreads many calls over phase slots: each wake-up writes a slot, not every call", async () => {
    const { batches } = await burstsOf(2 * SLOT_FILL * SLOTS);
    // Every slot full and even; all 160 in one burst is what the single-grid pacer did.
    expect(median(batches)).toBe(2 * SLOT_FILL);
    // A late timer serves two slot ticks in one run now and then; most runs serve one.
    expect(batches.filter((b) => b > 2 * SLOT_FILL).length).toBeLessThan(batches.length / 10);
  });

  it("keeps few calls in few slots: five calls wake the process once per 20 ms, not five times", async () => {
    const { batches, wakeUps } = await burstsOf(5);
    expect(median(batches)).toBe(5);
    // 400 ms is 20 frame intervals: one wake-up each (a spread pacer would wake 100 times).
    expect(wakeUps).toBeLessThanOrEqual(22);
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
