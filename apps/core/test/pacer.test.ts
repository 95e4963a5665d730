// The shared pacer: one grid for every call, calls spread over phase slots once there are many
// (few calls share a slot: a wake-up costs more than a write), and a reply that starts while its
// call is idle moved to a slot due sooner instead of waiting for its own.
import { describe, expect, it } from "vitest";
import { FRAME_MS, LOOK_AFTER_SLOTS, Pacer, SLOT_FILL, SLOT_MS, SLOTS } from "../src/audiosocket/pacer.ts";
import { wakeEverySlot } from "./pacer-load.ts";

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
        turn: () => {
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

  it("opens a second slot half a period from the first: its calls and the first slot's look at each other's audio", async () => {
    const pacer = new Pacer();
    const first: number[] = [];
    const second: number[] = [];
    const looks: number[] = [];
    const handles = Array.from({ length: SLOT_FILL }, () => pacer.add({ turn: () => first.push(performance.now()) }));
    handles.push(
      pacer.add({ turn: () => second.push(performance.now()), takeIn: (again) => void (again && looks.push(performance.now())) }),
    );
    await sleep(200);
    for (const h of handles) h.remove();
    const offsets = second.map((at) => at - Math.max(...first.filter((t) => t <= at)));
    expect(Math.abs(median(offsets) - FRAME_MS / 2)).toBeLessThan(2);
    expect(looks.length).toBeGreaterThanOrEqual(second.length - 1);
  });

  it("moves a call whose reply starts to the next awake slot: among many calls the first frame waits about 2 ms, not 20", async () => {
    const pacer = new Pacer();
    // Enough calls to wake every slot.
    const others = wakeEverySlot(pacer);
    let sent: (() => void) | undefined;
    const call = pacer.add({ turn: () => sent?.() });
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

  it("never wakes for a reply among few calls: the call keeps its slot and the reply waits for its turn", async () => {
    const pacer = new Pacer();
    const turns: number[] = [];
    const calls = Array.from({ length: 3 }, () => pacer.add({ turn: () => turns.push(performance.now()) }));
    await sleep(60);
    for (const c of calls) c.rephase();
    await sleep(100);
    for (const c of calls) c.remove();
    expect(pacer.stats.rephases).toBe(0);
    // One slot: every turn of the three calls falls in one of few bursts per 20 ms.
    const bursts = turns.filter((t, i) => i === 0 || t - (turns[i - 1] as number) > 1).length;
    expect(bursts).toBeLessThanOrEqual(Math.ceil(160 / FRAME_MS) + 1);
  });

  it("lets each call read after every call of its slot has sent, and again half a period later, in a slot woken anyway", async () => {
    const pacer = new Pacer();
    const events: string[] = [];
    // The first slot: nine calls, then this one; then others wake every slot.
    const slotmates = Array.from({ length: SLOT_FILL - 1 }, (_, i) => pacer.add({ turn: () => events.push(`send ${i}`) }));
    const turns: number[] = [];
    const firstReads: number[] = [];
    const looks: number[] = [];
    const call = pacer.add({
      turn: () => {
        turns.push(performance.now());
        events.push("send call");
      },
      takeIn: (second) => {
        if (second) looks.push(performance.now());
        else {
          firstReads.push(performance.now());
          events.push("read call");
        }
      },
    });
    const others = wakeEverySlot(pacer);
    await sleep(200);
    call.remove();
    for (const h of [...slotmates, ...others]) h.remove();
    // Every turn of its slot (its own, the last one, included) came before its read: reading
    // never delays another call's frame.
    for (let at = events.indexOf("read call"); at >= 0; at = events.indexOf("read call", at + 1)) {
      expect(events[at - 1]).toBe("send call");
      expect(events.slice(at - SLOT_FILL, at).every((e) => e.startsWith("send"))).toBe(true);
    }
    expect(firstReads.length).toBe(turns.length);
    expect(looks.length).toBeGreaterThanOrEqual(turns.length - 1);
    // Each look lies halfway between two turns.
    const offsets = looks.map((at) => at - Math.max(...turns.filter((t) => t <= at)));
    expect(Math.abs(median(offsets) - LOOK_AFTER_SLOTS * SLOT_MS)).toBeLessThan(2);
  });
});
