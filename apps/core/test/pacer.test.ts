// The shared pacer: one grid for every call, calls spread over phase slots once there are many
// (few calls share a slot: a wake-up costs more than a write), a reply's first frame sent at once
// instead of at the call's turn, and each call's reads kept just after its caller's frames arrive.
import { describe, expect, it } from "vitest";
import { FRAME_MS, MAX_CHASE, Pacer, SLOT_FILL, SLOT_MS, SLOTS } from "../src/audiosocket/pacer.ts";
import { wakeEverySlot } from "./pacer-load.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const until = async (cond: () => boolean, ms = 2_000) => {
  const deadline = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setImmediate(r));
  }
};

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

  it("opens a second slot half a period from the first", async () => {
    const pacer = new Pacer();
    const first: number[] = [];
    const second: number[] = [];
    const handles = Array.from({ length: SLOT_FILL }, () => pacer.add({ turn: () => first.push(performance.now()) }));
    handles.push(pacer.add({ turn: () => second.push(performance.now()) }));
    await sleep(200);
    for (const h of handles) h.remove();
    const offsets = second.map((at) => at - Math.max(...first.filter((t) => t <= at)));
    expect(Math.abs(median(offsets) - FRAME_MS / 2)).toBeLessThan(2);
  });

  it("sends a reply's first frame at once, off the grid, and keeps the call's slot: no interval around it counts as jitter", async () => {
    const pacer = new Pacer();
    const others = wakeEverySlot(pacer);
    const turns: number[] = [];
    const call = pacer.add({ turn: () => turns.push(performance.now()) });
    let started = 0;
    for (let trial = 0; trial < 7; trial++) {
      // Just after one of the call's own turns, the next is ~20 ms away.
      const seen = turns.length;
      await until(() => turns.length > seen);
      await sleep(3);
      if (performance.now() - (turns.at(-1) as number) > FRAME_MS - 4) continue; // a slow machine overslept
      const before = turns.length;
      call.startNow();
      // Synchronous: sent before startNow returned.
      expect(turns.length).toBe(before + 1);
      started++;
    }
    await sleep(100);
    call.remove();
    for (const h of others) h.remove();
    expect(started).toBeGreaterThanOrEqual(4);
    expect(pacer.stats.earlyStarts).toBe(started);
    // The call kept its slot: its turns after the trials are 20 ms apart.
    const late = turns.slice(-4);
    for (let i = 1; i < late.length; i++) expect(Math.abs((late[i] as number) - (late[i - 1] as number) - FRAME_MS)).toBeLessThan(5);
    // Neither the interval before an early frame nor the one after it is counted: each call's
    // first frame has none, and each early start takes two away.
    expect(pacer.stats.intervals).toBe(pacer.stats.framesSent - (others.length + 1) - 2 * started);
  });

  it("leaves a reply's first frame to the call's turn when that is due within a slot: never two frames at once", async () => {
    const pacer = new Pacer();
    const turns: number[] = [];
    const call = pacer.add({ turn: () => turns.push(performance.now()) });
    await until(() => turns.length >= 2);
    let tried = 0;
    for (const deadline = performance.now() + 5_000; tried < 5 && performance.now() < deadline; ) {
      await new Promise((r) => setImmediate(r));
      // Within the last 1.5 ms before the next turn (20 ms after the last one).
      const sinceTurn = performance.now() - (turns.at(-1) as number);
      if (sinceTurn < FRAME_MS - 1.5 || sinceTurn >= FRAME_MS - 0.2) continue;
      const before = turns.length;
      call.startNow();
      tried++;
      expect(turns.length).toBe(before);
    }
    expect(tried).toBeGreaterThanOrEqual(1);
    call.remove();
    expect(pacer.stats.earlyStarts).toBe(0);
  });

  it("never sends a call twice in one tick when its reply starts while its own slot is being served", async () => {
    const pacer = new Pacer();
    let call: ReturnType<Pacer["add"]> | undefined;
    const turns: number[] = [];
    // A slotmate before it in the slot: its turn starts the call's reply before the call's own turn.
    const slotmate = pacer.add({ turn: () => call?.startNow() });
    call = pacer.add({ turn: () => turns.push(performance.now()) });
    await sleep(200);
    call.remove();
    slotmate.remove();
    expect(pacer.stats.earlyStarts).toBe(0);
    expect(turns.length).toBeGreaterThanOrEqual(8);
    for (let i = 1; i < turns.length; i++) expect((turns[i] as number) - (turns[i - 1] as number)).toBeGreaterThan(FRAME_MS / 2);
  });

  it("among few calls, sends a reply at once and never opens a slot for it", async () => {
    const pacer = new Pacer();
    const turns: number[] = [];
    const calls = Array.from({ length: 3 }, () => pacer.add({ turn: () => turns.push(performance.now()) }));
    await sleep(65);
    for (const c of calls) c.startNow();
    await sleep(100);
    for (const c of calls) c.remove();
    expect(pacer.stats.earlyStarts).toBe(3);
    // One slot: every turn of the three calls falls in one of few bursts per 20 ms (plus the early one).
    const bursts = turns.filter((t, i) => i === 0 || t - (turns[i - 1] as number) > 1).length;
    expect(bursts).toBeLessThanOrEqual(Math.ceil(165 / FRAME_MS) + 2);
  });

  it("lets a slot's calls read only after every call of the slot has sent", async () => {
    const pacer = new Pacer();
    const events: string[] = [];
    const slotmates = Array.from({ length: SLOT_FILL - 1 }, (_, i) => pacer.add({ turn: () => events.push(`send ${i}`) }));
    const call = pacer.add({
      turn: () => events.push("send call"),
      takeIn: () => {
        events.push("read call");
        return true;
      },
    });
    await sleep(200);
    call.remove();
    for (const h of slotmates) h.remove();
    const reads = events.filter((e) => e === "read call").length;
    expect(reads).toBeGreaterThanOrEqual(8);
    // One slot awake: the call reads there, after its own send and those of all nine slotmates.
    for (let at = events.indexOf("read call"); at >= 0; at = events.indexOf("read call", at + 1)) {
      expect(events.slice(at - SLOT_FILL, at).every((e) => e.startsWith("send"))).toBe(true);
      expect(events.slice(at - SLOT_FILL, at)).toContain("send call");
    }
  });

  it("reads each call in the first awake slot after its caller's frames arrive, whatever the caller's phase", async () => {
    const pacer = new Pacer();
    const others = wakeEverySlot(pacer);
    const start = performance.now();
    // Five callers on their own 20 ms clocks: 0.7, 4.9, 9.3, 13.1 and 17.5 ms into the period, a
    // frame up to 1 ms late now and then (seeded), as Asterisk's channels are.
    const callers = [0.7, 4.9, 9.3, 13.1, 17.5].map((phase, c) => {
      let seed = c + 1;
      const late = () => {
        seed = (seed * 16807) % 2147483647;
        return seed % 5 === 0 ? (seed % 1000) / 1000 : 0;
      };
      const arrivals: number[] = [];
      let taken = 0;
      const waits: number[] = [];
      const arrived = (now: number) => {
        while (start + arrivals.length * FRAME_MS + phase <= now) arrivals.push(start + arrivals.length * FRAME_MS + phase + late());
        let n = arrivals.length;
        while (n > taken && (arrivals[n - 1] as number) > now) n--;
        return n;
      };
      const handle = pacer.add({
        turn: () => {},
        takeIn: () => {
          const now = performance.now();
          const n = arrived(now);
          if (n === taken) return false;
          for (; taken < n; taken++) waits.push(now - (arrivals[taken] as number));
          return true;
        },
      });
      return { handle, waits };
    });
    await sleep(1_500);
    for (const { handle } of callers) handle.remove();
    for (const h of others) h.remove();
    // Settled after the first 20 frames (the reads start in the call's own slot and move).
    const waits = callers.flatMap(({ waits }) => waits.slice(20));
    expect(waits.length).toBeGreaterThan(5 * 40);
    // Read at a fixed slot the waits would average 10 ms over the phases, up to 20.
    expect(median(waits)).toBeLessThan(SLOT_MS + 0.5);
    expect(waits.filter((w) => w > 2 * SLOT_MS + 1).length).toBeLessThan(waits.length / 10);
    // Nearly every read finds a frame: a probe every PROBE_EVERY frames, and a late frame now and then.
    expect(pacer.stats.emptyReads).toBeLessThan(pacer.stats.reads / 4);
  });

  it("reads a caller that sends nothing once a period, after half a period of looking", async () => {
    const pacer = new Pacer();
    const others = wakeEverySlot(pacer);
    let reads = 0;
    const call = pacer.add({
      turn: () => {},
      takeIn: () => {
        reads++;
        return false;
      },
    });
    const t0 = performance.now();
    await sleep(300);
    const periods = (performance.now() - t0) / FRAME_MS;
    call.remove();
    for (const h of others) h.remove();
    expect(reads).toBeGreaterThanOrEqual(Math.floor(periods) - 2);
    expect(reads).toBeLessThanOrEqual(Math.ceil(periods) + MAX_CHASE + 2);
  });

  it("moves the reads of a slot that falls asleep back to the calls' own slots", async () => {
    const pacer = new Pacer();
    const slotmates = Array.from({ length: SLOT_FILL - 1 }, () => pacer.add({ turn: () => {} }));
    let reads = 0;
    let first = true;
    // Its first read finds nothing, so its reads move to the next awake slot: the second one's.
    const call = pacer.add({
      turn: () => {},
      takeIn: () => {
        reads++;
        const found = !first;
        first = false;
        return found;
      },
    });
    const secondSlot = pacer.add({ turn: () => {} });
    await sleep(60);
    secondSlot.remove();
    const before = reads;
    await sleep(200);
    call.remove();
    for (const h of slotmates) h.remove();
    expect(pacer.stats.emptyReads).toBe(1);
    expect(reads - before).toBeGreaterThanOrEqual(8);
  });
});
