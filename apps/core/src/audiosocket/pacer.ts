// One scheduler paces the outbound audio of every call in the process: a single timer on a
// monotonic clock and a fixed grid (no drift: slot tick k is due at start + k * SLOT_MS whatever
// the timer's lateness). Each call sends one frame every 20 ms at its own phase: the 20 ms are
// cut into SLOTS phase slots, and a call belongs to one slot.
//
// Why one timer: a timer per call costs a wake-up per call every 20 ms and lets calls drift apart.
// Why phase slots: Asterisk runs each channel on its own 20 ms clock, so channels are spread over
// the 20 ms anyway; sending every call's frame in one burst per 20 ms would hold the event loop
// for the whole burst (inbound audio waits behind it) and make the last call of the burst late.
// With slots each wake-up writes a tenth of the calls, and a reply that arrives while its call is
// idle moves the call to the next slot: its first frame waits at most SLOT_MS, not 20 ms.

export const FRAME_MS = 20;
export const SLOTS = 10;
export const SLOT_MS = FRAME_MS / SLOTS;
/** A frame sent this much after its due time counts as late (Asterisk's jitter buffer absorbs less). */
export const LATE_AFTER_MS = 10;
/** When the process stalls longer than this, the grid restarts instead of bursting frames. */
const MAX_CATCH_UP_MS = 60;

export type TPacedStream = {
  /** Sends one 20 ms frame now. */
  sendFrame(): void;
};

export type TPacedHandle = {
  remove(): void;
  /** Moves the call to the next slot due (its next frame goes out within SLOT_MS). */
  rephase(): void;
};

/** Upper bounds (ms) of the lateness and jitter histograms, cumulative like Prometheus buckets. */
export const LATENESS_BUCKETS_MS = [0.25, 0.5, 1, 1.5, 2, 2.5, 3, 4, 5, 7.5, 10, 20, 50, 100, 250];

export type TPacerStats = {
  framesSent: number;
  framesLate: number;
  /** Frames whose lateness (sent - due on the grid) was <= LATENESS_BUCKETS_MS[i], since start. */
  latenessBuckets: number[];
  /** Frames whose interval since the same call's previous frame differed from 20 ms by <= LATENESS_BUCKETS_MS[i]. */
  jitterBuckets: number[];
  /** Intervals counted in jitterBuckets (a call's first frame, and the first after a rephase, have none). */
  intervals: number;
  rephases: number;
};

type TEntry = { stream: TPacedStream; slot: number; lastSentAt: number };

const nowMs = (): number => performance.now();

function bucketIndex(ms: number): number {
  let b = 0;
  while (b < LATENESS_BUCKETS_MS.length && ms > (LATENESS_BUCKETS_MS[b] as number)) b++;
  return b; // LATENESS_BUCKETS_MS.length: over the last bound (+Inf only)
}

export class Pacer {
  private readonly slots: Set<TEntry>[] = Array.from({ length: SLOTS }, () => new Set());
  private count = 0;
  private timer: NodeJS.Timeout | undefined;
  private startedAt = 0;
  /** The next slot tick to serve; slot tick k serves slot k % SLOTS. */
  private tick = 0;
  readonly stats: TPacerStats = {
    framesSent: 0,
    framesLate: 0,
    latenessBuckets: LATENESS_BUCKETS_MS.map(() => 0),
    jitterBuckets: LATENESS_BUCKETS_MS.map(() => 0),
    intervals: 0,
    rephases: 0,
  };

  get size(): number {
    return this.count;
  }

  add(stream: TPacedStream): TPacedHandle {
    if (!this.timer) {
      this.startedAt = nowMs();
      this.tick = 0;
      this.schedule();
    }
    // The least loaded slot keeps the writes of each wake-up even.
    let slot = 0;
    for (let s = 1; s < SLOTS; s++) if ((this.slots[s] as Set<TEntry>).size < (this.slots[slot] as Set<TEntry>).size) slot = s;
    const entry: TEntry = { stream, slot, lastSentAt: Number.NaN };
    (this.slots[slot] as Set<TEntry>).add(entry);
    this.count++;
    let removed = false;
    return {
      remove: () => {
        if (removed) return;
        removed = true;
        (this.slots[entry.slot] as Set<TEntry>).delete(entry);
        this.count--;
        if (this.count === 0) this.stop();
      },
      rephase: () => {
        if (removed) return;
        // The next slot due, or the first after it that is not crowded (replies that arrive
        // together must not pile their calls into one slot).
        const crowded = Math.ceil((this.count / SLOTS) * 1.5) + 1;
        let next = this.tick % SLOTS;
        for (let i = 0; i < SLOTS && (this.slots[next] as Set<TEntry>).size >= crowded && next !== entry.slot; i++)
          next = (next + 1) % SLOTS;
        if (entry.slot === next) return;
        (this.slots[entry.slot] as Set<TEntry>).delete(entry);
        entry.slot = next;
        entry.lastSentAt = Number.NaN; // the shortened interval is deliberate, not jitter
        (this.slots[next] as Set<TEntry>).add(entry);
        this.stats.rephases++;
      },
    };
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private dueAt(tick: number): number {
    return this.startedAt + (tick + 1) * SLOT_MS;
  }

  private schedule(): void {
    this.timer = setTimeout(() => this.onTimer(), Math.max(0, this.dueAt(this.tick) - nowMs()));
  }

  private onTimer(): void {
    const now = nowMs();
    if (now - this.dueAt(this.tick) > MAX_CATCH_UP_MS) {
      // The event loop stalled: count the frames lost as late and restart the grid from now.
      const missedTicks = Math.floor((now - this.dueAt(this.tick)) / SLOT_MS);
      this.stats.framesLate += Math.round((missedTicks / SLOTS) * this.count);
      this.startedAt = now - (this.tick + 1) * SLOT_MS; // the next slot tick is due now
    }
    // Serve every slot tick that is due (normally one; a few after a short stall).
    while (this.count > 0 && this.dueAt(this.tick) <= nowMs() + 0.25) {
      const due = this.dueAt(this.tick);
      const slot = this.slots[this.tick % SLOTS] as Set<TEntry>;
      this.tick++;
      for (const entry of slot) {
        const sentAt = nowMs();
        try {
          entry.stream.sendFrame();
        } catch {
          // A stream's failure is its own call's business (it removes itself); others go on.
        }
        this.record(entry, sentAt, due);
      }
    }
    if (this.count > 0) this.schedule();
    else this.timer = undefined;
  }

  private record(entry: TEntry, sentAt: number, due: number): void {
    const lateness = Math.max(0, sentAt - due);
    this.stats.framesSent++;
    if (lateness > LATE_AFTER_MS) this.stats.framesLate++;
    const lb = bucketIndex(lateness);
    for (let b = lb; b < LATENESS_BUCKETS_MS.length; b++) (this.stats.latenessBuckets[b] as number)++;
    if (!Number.isNaN(entry.lastSentAt)) {
      const jb = bucketIndex(Math.abs(sentAt - entry.lastSentAt - FRAME_MS));
      for (let b = jb; b < LATENESS_BUCKETS_MS.length; b++) (this.stats.jitterBuckets[b] as number)++;
      this.stats.intervals++;
    }
    entry.lastSentAt = sentAt;
  }
}
