// One scheduler is the clock of every call in the process: a single timer on a monotonic clock
// and a fixed grid (no drift: slot tick k is due at start + k * SLOT_MS whatever the timer's
// lateness). Each call has one turn every 20 ms at its own phase, in which it sends one frame
// and, once every call of its slot has sent, takes in what Asterisk sent (server.ts): the 20 ms
// are cut into SLOTS phase slots, and a call belongs to one slot. Sends first: a call's reading
// (and the pipeline work its audio starts) never delays the frames of the calls after it.
//
// Why one timer: a timer per call costs a wake-up per call every 20 ms and lets calls drift apart.
// Why phase slots: Asterisk runs each channel on its own 20 ms clock, so channels are spread over
// the 20 ms anyway; serving every call in one burst per 20 ms would make the last call of the
// burst late and take in every caller's audio up to 20 ms after it arrived. With slots each
// wake-up serves a tenth of the calls.
//
// Why a second look: a call's turn reads what Asterisk sent since the last one, so its audio
// waits for the turn — up to 20 ms. Serving a slot, the pacer also looks at the calls of the slot
// half a period away (a read each, no write): the caller's audio waits at most 10 ms, 5 on
// average, for one more read per frame and no wake-up. (Aligning each call's turn to its
// caller's phase instead was tried: under a caller's jitter it settled on the early edge of its
// arrivals, and most frames then waited for the next turn.)
//
// Why few slots for few calls: every wake-up costs 50-250 µs of CPU on this kind of virtual
// machine whatever it serves (leaving idle, epoll, the timer list, the microtask checkpoint),
// and a call's turn ~20 µs, so a slot with one call in it is mostly overhead. Calls fill a slot
// up to SLOT_FILL before the next one opens, empty slots are never woken for (nor opened by a
// reply), and the timer is set in whole milliseconds (libuv's unit) so it never fires early and
// has to be re-armed. Among few calls, therefore, a second look happens only where that slot is
// awake, and a reply waits for the next slot already woken: at one slot, up to 20 ms.

export const FRAME_MS = 20;
export const SLOTS = 10;
export const SLOT_MS = FRAME_MS / SLOTS;
/** A frame sent this much after its due time counts as late (Asterisk's jitter buffer absorbs less). */
export const LATE_AFTER_MS = 10;
/** When the process stalls longer than this, the grid restarts instead of bursting frames. */
const MAX_CATCH_UP_MS = 60;
/** Calls a slot takes before another slot opens: a burst of 10 writes holds the loop ~0.1 ms. */
export const SLOT_FILL = 10;
/** A slot tick due this close is served now: the timer's millisecond resolution, not lateness. */
const EARLY_MS = 0.5;
/** The second look at a call's socket comes this many slot ticks after its turn: half a period. */
export const LOOK_AFTER_SLOTS = SLOTS / 2;
/** Which empty slot opens next: each new one as far as it can be from those already open. */
const OPENING_ORDER = [0, 5, 2, 7, 4, 9, 1, 6, 3, 8];

export type TPacedStream = {
  /** The call's turn: sends one 20 ms frame, now. */
  turn(): void;
  /**
   * Reads what arrived: once every call of the slot has had its turn (`second` false), and again
   * half a period later (`second` true: the second look, which a call may decline).
   */
  takeIn?(second: boolean): void;
};

export type TPacedHandle = {
  remove(): void;
  /** Moves the call to the next slot due that is awake (its next frame goes out sooner). */
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
  /** The last slot tick served. */
  private served = -1;
  private readonly counts = { framesSent: 0, framesLate: 0, intervals: 0, rephases: 0 };
  /** Frames per bucket, not cumulative: one increment per frame; `stats` adds them up when read. */
  private readonly lateness = new Float64Array(LATENESS_BUCKETS_MS.length + 1);
  private readonly jitter = new Float64Array(LATENESS_BUCKETS_MS.length + 1);

  get stats(): TPacerStats {
    const cumulative = (counts: Float64Array) => {
      let sum = 0;
      return LATENESS_BUCKETS_MS.map((_, b) => (sum += counts[b] as number));
    };
    return { ...this.counts, latenessBuckets: cumulative(this.lateness), jitterBuckets: cumulative(this.jitter) };
  }

  get size(): number {
    return this.count;
  }

  add(stream: TPacedStream): TPacedHandle {
    if (!this.timer) {
      this.startedAt = nowMs();
      this.tick = 0;
      this.served = -1;
      this.schedule();
    }
    // The fullest slot that still has room (few calls share few wake-ups); once every slot holds
    // SLOT_FILL, the least loaded (the writes of each wake-up stay even).
    // Slots open in OPENING_ORDER: the second is half a period from the first, so their calls get
    // their second look and a reply's early slot from each other.
    let slot = -1;
    for (const s of OPENING_ORDER) {
      const size = this.slotSize(s);
      if (size < SLOT_FILL && (slot < 0 || size > this.slotSize(slot))) slot = s;
    }
    if (slot < 0) {
      slot = 0;
      for (let s = 1; s < SLOTS; s++) if (this.slotSize(s) < this.slotSize(slot)) slot = s;
    }
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
        // The next awake slot due that is not crowded (replies that arrive together must not pile
        // their calls into one slot).
        // A full slot still takes a reply's call: replies are few, and the slot is awake anyway.
        const crowded = Math.max(SLOT_FILL, Math.ceil((this.count / SLOTS) * 1.5)) + 1;
        const first = this.nextDueTick();
        for (let i = 0; i < SLOTS; i++) {
          const s = (first + i) % SLOTS;
          if (s === entry.slot) return; // its own turn is the next one
          const size = this.slotSize(s);
          if (size === 0 || size >= crowded) continue;
          this.move(entry, s);
          this.counts.rephases++;
          return;
        }
      },
    };
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private slotSize(slot: number): number {
    return (this.slots[slot] as Set<TEntry>).size;
  }

  private move(entry: TEntry, slot: number): void {
    (this.slots[entry.slot] as Set<TEntry>).delete(entry);
    entry.slot = slot;
    entry.lastSentAt = Number.NaN; // the changed interval is deliberate, not jitter
    (this.slots[slot] as Set<TEntry>).add(entry);
  }

  private dueAt(tick: number): number {
    return this.startedAt + (tick + 1) * SLOT_MS;
  }

  /** The first slot tick not yet served whose due time is still ahead. */
  private nextDueTick(): number {
    return Math.max(this.served + 1, Math.floor((nowMs() - this.startedAt) / SLOT_MS));
  }

  /** Arms the timer for the next slot tick that has calls in it. */
  private schedule(): void {
    for (let i = 0; i < SLOTS && this.slotSize(this.tick % SLOTS) === 0; i++) this.tick++;
    // Whole milliseconds, rounded down, so the timer never fires before the tick is within EARLY_MS.
    const delay = Math.max(1, Math.floor(this.dueAt(this.tick) - nowMs() + EARLY_MS));
    this.timer = setTimeout(() => this.onTimer(), delay);
  }

  private onTimer(): void {
    const now = nowMs();
    if (now - this.dueAt(this.tick) > MAX_CATCH_UP_MS) {
      // The event loop stalled: count the frames lost as late and restart the grid from now.
      const missedTicks = Math.floor((now - this.dueAt(this.tick)) / SLOT_MS);
      this.counts.framesLate += Math.round((missedTicks / SLOTS) * this.count);
      this.startedAt = now - (this.tick + 1) * SLOT_MS; // the next slot tick is due now
    }
    // Serve every slot tick that is due (normally one; a few after a short stall).
    while (this.count > 0 && this.dueAt(this.tick) <= nowMs() + EARLY_MS) {
      const due = this.dueAt(this.tick);
      const slot = this.slots[this.tick % SLOTS] as Set<TEntry>;
      this.served = this.tick;
      this.tick++;
      for (const entry of slot) {
        const sentAt = nowMs();
        try {
          entry.stream.turn();
        } catch {
          // A stream's failure is its own call's business (it removes itself); others go on.
        }
        this.record(entry, sentAt, due);
      }
      this.takeIn(slot, false);
      this.takeIn(this.slots[(this.served + SLOTS - LOOK_AFTER_SLOTS) % SLOTS] as Set<TEntry>, true);
    }
    if (this.count > 0) this.schedule();
    else this.timer = undefined;
  }

  /** Lets the calls of `slot` read: after their turns, or (`second`) LOOK_AFTER_SLOTS ticks after. */
  private takeIn(slot: Set<TEntry>, second: boolean): void {
    for (const entry of slot) {
      try {
        entry.stream.takeIn?.(second);
      } catch {
        // As for a turn: the call ends itself.
      }
    }
  }

  private record(entry: TEntry, sentAt: number, due: number): void {
    const lateness = Math.max(0, sentAt - due);
    this.counts.framesSent++;
    if (lateness > LATE_AFTER_MS) this.counts.framesLate++;
    (this.lateness[bucketIndex(lateness)] as number)++;
    if (!Number.isNaN(entry.lastSentAt)) {
      (this.jitter[bucketIndex(Math.abs(sentAt - entry.lastSentAt - FRAME_MS))] as number)++;
      this.counts.intervals++;
    }
    entry.lastSentAt = sentAt;
  }
}
