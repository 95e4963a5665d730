// One scheduler is the clock of every call in the process: a single timer on a monotonic clock
// and a fixed grid (no drift: slot tick k is due at start + k * SLOT_MS whatever the timer's
// lateness). The 20 ms are cut into SLOTS phase slots. Each call sends one frame every 20 ms in
// its send slot, and reads what Asterisk sent once every 20 ms in its read slot (server.ts does
// the I/O): in each slot tick the slot's calls all send first, then the calls that read there
// read, so reading (and the pipeline work the audio starts) never delays a frame.
//
// Why one timer: a timer per call costs a wake-up per call every 20 ms and lets calls drift apart.
// Why phase slots: Asterisk runs each channel on its own 20 ms clock, so channels are spread over
// the 20 ms anyway; serving every call in one burst per 20 ms would make the last call of the
// burst late. With slots each wake-up serves a tenth of the calls.
//
// Why a read slot of its own: a call's audio waits in the kernel until the call reads, and the
// end of the caller's speech starts the reply. The read slot follows the caller's clock: a read
// that finds nothing (the caller's frame is not there yet) moves the call's reads to the next
// awake slot, and reads again there, in the same period; every PROBE_EVERY reads that found
// audio, the reads move one awake slot earlier to see whether the audio is there by then (if not,
// the read after finds it, so a probe costs one empty read and no delay). A new call's reads
// start in its send slot and move earlier every period until one finds nothing (at most SLOTS
// periods). The reads thus sit in the first awake slot after the caller's frames arrive: among
// many calls a frame waits ~1 ms for its read, up to one slot (2 ms), and nearly every read finds
// a frame — an empty read costs about what a full one does (Node throws on EAGAIN). The send slot
// never moves for this: Asterisk hears a steady 20 ms whatever the reads do. (Moving the whole turn to the caller's phase was tried:
// its misses waited a full period, and every move changed the outbound interval.)
//
// Why few slots for few calls: every wake-up costs 50-250 µs of CPU on this kind of virtual
// machine whatever it serves (leaving idle, epoll, the timer list, the microtask checkpoint),
// and a call's turn ~20 µs, so a slot with one call in it is mostly overhead. Calls fill a slot
// up to SLOT_FILL before the next one opens, and empty slots are never woken for: reads only go
// to slots awake for sends, and a reply's first frame goes out from the I/O callback that brought
// its audio (`startNow`), not from a slot woken for it. The timer is set in whole milliseconds
// (libuv's unit) so it never fires early and has to be re-armed. Among few calls, therefore, the
// reads have few slots to choose from: at one slot (10 calls or fewer) audio waits up to 20 ms.

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
/** Reads that found audio before the call's reads try one awake slot earlier. */
export const PROBE_EVERY = 8;
/**
 * Empty reads in a row that move the reads on to the next awake slot: half a period. A caller
 * that sends nothing for longer (Asterisk stopped the audio) is read once per period until it
 * sends again.
 */
export const MAX_CHASE = SLOTS / 2;
/** A reply's first frame goes out at once unless the call's own turn is this close anyway. */
const START_NOW_BEFORE_MS = SLOT_MS;
/** Which empty slot opens next: each new one as far as it can be from those already open. */
const OPENING_ORDER = [0, 5, 2, 7, 4, 9, 1, 6, 3, 8];

export type TPacedStream = {
  /** The call's turn: sends one 20 ms frame, now. */
  turn(): void;
  /** Reads what arrived since the last read; false when nothing had (the read slot moves on). */
  takeIn?(): boolean;
};

export type TPacedHandle = {
  /** The call's send slot (fixed for the call). */
  readonly slot: number;
  remove(): void;
  /**
   * The call's audio starts (a reply while it was sending silence): its next frame goes out now,
   * off the grid, unless its turn is due within a slot anyway. Asterisk sees one interval between
   * silence and speech shortened, never a burst; the call keeps its slot.
   */
  startNow(): void;
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
  /** Intervals counted in jitterBuckets (a call's first frame, and those around an early start, have none). */
  intervals: number;
  /** Frames sent off the grid by `startNow`. */
  earlyStarts: number;
  /** Reads, and those that found nothing (a probe, or a caller's frame later than usual). */
  reads: number;
  emptyReads: number;
};

type TEntry = {
  stream: TPacedStream;
  /** Where the call sends; fixed for the call. */
  slot: number;
  /** Where the call reads; follows the caller's clock. */
  readSlot: number;
  lastSentAt: number;
  emptyInARow: number;
  foundSinceProbe: number;
  /** False until a read first found nothing: till then the reads move earlier every period. */
  settled: boolean;
  removed: boolean;
};

const nowMs = (): number => performance.now();

function bucketIndex(ms: number): number {
  let b = 0;
  while (b < LATENESS_BUCKETS_MS.length && ms > (LATENESS_BUCKETS_MS[b] as number)) b++;
  return b; // LATENESS_BUCKETS_MS.length: over the last bound (+Inf only)
}

export class Pacer {
  /** The calls that send in each slot; a slot with none is asleep (never woken for). */
  private readonly slots: Set<TEntry>[] = Array.from({ length: SLOTS }, () => new Set());
  /** The calls that read in each slot: only awake slots have any. */
  private readonly readers: Set<TEntry>[] = Array.from({ length: SLOTS }, () => new Set());
  private count = 0;
  private timer: NodeJS.Timeout | undefined;
  private startedAt = 0;
  /** The next slot tick to serve; slot tick k serves slot k % SLOTS. */
  private tick = 0;
  /** The last slot tick served. */
  private served = -1;
  /** The slot whose turns are being sent right now (-1 between ticks). */
  private sending = -1;
  /** Ticked by the frame sender's thread (`serveSlot`) instead of a timer of its own. */
  private external = false;
  private readonly counts = { framesSent: 0, framesLate: 0, intervals: 0, earlyStarts: 0, reads: 0, emptyReads: 0 };
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

  /**
   * From now on the frame sender's thread is the clock: right after it has sent a slot's frames
   * it has the main thread `serveSlot` that slot (frame-sender.ts). The two threads then wake
   * together — one leaves idle, the other is handed the CPU — instead of each on a clock of its own.
   */
  clockedExternally(): void {
    this.stop();
    this.external = true;
  }

  /** One slot tick of an external clock: the slot's turns, then its reads. */
  serveSlot(slot: number): void {
    this.sending = slot;
    for (const entry of this.slots[slot] as Set<TEntry>) {
      try {
        entry.stream.turn();
      } catch {
        // A stream's failure is its own call's business (it removes itself); others go on.
      }
    }
    this.sending = -1;
    this.read(slot);
  }

  add(stream: TPacedStream): TPacedHandle {
    if (!this.timer && !this.external) {
      this.startedAt = nowMs();
      this.tick = 0;
      this.served = -1;
      this.schedule();
    }
    // The fullest slot that still has room (few calls share few wake-ups); once every slot holds
    // SLOT_FILL, the least loaded (the writes of each wake-up stay even).
    // Slots open in OPENING_ORDER: the second is half a period from the first, so a caller whose
    // frames arrive just after the first slot's tick waits half a period for its read, not a whole.
    let slot = -1;
    for (const s of OPENING_ORDER) {
      const size = this.slotSize(s);
      if (size < SLOT_FILL && (slot < 0 || size > this.slotSize(slot))) slot = s;
    }
    if (slot < 0) {
      slot = 0;
      for (let s = 1; s < SLOTS; s++) if (this.slotSize(s) < this.slotSize(slot)) slot = s;
    }
    const entry: TEntry = {
      stream,
      slot,
      readSlot: slot,
      lastSentAt: Number.NaN,
      emptyInARow: 0,
      foundSinceProbe: 0,
      settled: false,
      removed: false,
    };
    (this.slots[slot] as Set<TEntry>).add(entry);
    (this.readers[slot] as Set<TEntry>).add(entry);
    this.count++;
    return {
      slot,
      remove: () => this.remove(entry),
      startNow: () => this.startNow(entry),
    };
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private remove(entry: TEntry): void {
    if (entry.removed) return;
    entry.removed = true;
    (this.slots[entry.slot] as Set<TEntry>).delete(entry);
    (this.readers[entry.readSlot] as Set<TEntry>).delete(entry);
    this.count--;
    // A slot that falls asleep is never served: the calls reading there go back to their own slots.
    if (this.slotSize(entry.slot) === 0) for (const reader of this.readers[entry.slot] as Set<TEntry>) this.moveRead(reader, reader.slot);
    if (this.count === 0) this.stop();
  }

  private startNow(entry: TEntry): void {
    // Inside its own slot's tick the call's turn is now anyway (or was just now).
    if (entry.removed || this.timer === undefined || this.sending === entry.slot) return;
    const now = nowMs();
    let nextTurn = this.nextDueTick();
    while (nextTurn % SLOTS !== entry.slot) nextTurn++;
    if (this.dueAt(nextTurn) - now < START_NOW_BEFORE_MS) return;
    try {
      entry.stream.turn();
    } catch {
      return; // as in a turn: the call ends itself
    }
    // Not late and not jitter: neither the shortened interval before nor the one after is counted.
    this.counts.framesSent++;
    this.counts.earlyStarts++;
    (this.lateness[0] as number)++;
    entry.lastSentAt = Number.NaN;
  }

  private slotSize(slot: number): number {
    return (this.slots[slot] as Set<TEntry>).size;
  }

  private moveRead(entry: TEntry, slot: number): void {
    if (slot === entry.readSlot) return;
    (this.readers[entry.readSlot] as Set<TEntry>).delete(entry);
    entry.readSlot = slot;
    (this.readers[slot] as Set<TEntry>).add(entry);
  }

  /** The nearest awake slot after `slot` (step 1) or before it (step -1); `slot` itself when none is. */
  private awakeNear(slot: number, step: 1 | -1): number {
    for (let i = 1; i < SLOTS; i++) {
      const s = (slot + step * i + SLOTS) % SLOTS;
      if (this.slotSize(s) > 0) return s;
    }
    return slot;
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
      const slot = this.tick % SLOTS;
      this.served = this.tick;
      this.tick++;
      this.sending = slot;
      for (const entry of this.slots[slot] as Set<TEntry>) {
        const sentAt = nowMs();
        try {
          entry.stream.turn();
        } catch {
          // A stream's failure is its own call's business (it removes itself); others go on.
        }
        this.record(entry, sentAt, due);
      }
      this.sending = -1;
      this.read(slot);
    }
    if (this.count > 0) this.schedule();
    else this.timer = undefined;
  }

  /** The reads of `slot`, once its calls have all sent; each read moves its call's read slot as it found. */
  private read(slot: number): void {
    for (const entry of this.readers[slot] as Set<TEntry>) {
      if (!entry.stream.takeIn) continue; // sends only (tests, the pacer's own benchmark)
      let found: boolean;
      try {
        found = entry.stream.takeIn();
      } catch {
        continue; // as for a turn: the call ends itself
      }
      if (entry.removed) continue;
      this.counts.reads++;
      if (found) {
        entry.emptyInARow = 0;
        if (++entry.foundSinceProbe >= (entry.settled ? PROBE_EVERY : 1)) {
          entry.foundSinceProbe = 0;
          this.moveRead(entry, this.awakeNear(slot, -1));
        }
      } else {
        this.counts.emptyReads++;
        // Its frame is later than this slot: read again at the next awake one, this period.
        // (Never into this slot's own set while it is being iterated: awakeNear skips it.)
        // A caller silent for longer than the chase is looked for afresh once it sends again.
        entry.settled = entry.emptyInARow < MAX_CHASE;
        if (entry.emptyInARow++ < MAX_CHASE) this.moveRead(entry, this.awakeNear(slot, 1));
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
