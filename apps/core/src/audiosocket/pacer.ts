// One scheduler paces the outbound audio of every call in the process: a single timer on a
// monotonic clock, ticking every 20 ms on a fixed grid (tick n is due at start + n * 20 ms, so
// timer lateness never accumulates into drift). Each tick sends one frame to every call.
//
// Why one timer: a timer per call costs a wake-up per call every 20 ms and lets calls drift
// apart; one grid costs one wake-up per tick whatever the number of calls.

export const FRAME_MS = 20;
/** A frame sent this much after its due time counts as late (Asterisk's jitter buffer absorbs less). */
export const LATE_AFTER_MS = 10;
/** When the process stalls longer than this, the grid restarts instead of bursting frames. */
const MAX_CATCH_UP_MS = 60;

export type TPacedStream = {
  /** Sends one 20 ms frame now. */
  sendFrame(): void;
};

/** Upper bounds (ms) of the tick-lateness histogram, cumulative like Prometheus buckets. */
export const LATENESS_BUCKETS_MS = [0.5, 1, 2, 3, 5, 10, 20, 50, 100, 250];

export type TPacerStats = {
  ticks: number;
  framesSent: number;
  framesLate: number;
  /** Ticks whose lateness was <= LATENESS_BUCKETS_MS[i], since start (never reset). */
  latenessBuckets: number[];
};

const nowMs = (): number => performance.now();

export class Pacer {
  private readonly streams = new Set<TPacedStream>();
  private timer: NodeJS.Timeout | undefined;
  private startedAt = 0;
  private tick = 0;
  readonly stats: TPacerStats = { ticks: 0, framesSent: 0, framesLate: 0, latenessBuckets: LATENESS_BUCKETS_MS.map(() => 0) };

  get size(): number {
    return this.streams.size;
  }

  add(stream: TPacedStream): () => void {
    this.streams.add(stream);
    if (!this.timer) {
      this.startedAt = nowMs();
      this.tick = 0;
      this.schedule();
    }
    return () => {
      this.streams.delete(stream);
      if (this.streams.size === 0) this.stop();
    };
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    const due = this.startedAt + (this.tick + 1) * FRAME_MS;
    this.timer = setTimeout(() => this.onTimer(), Math.max(0, due - nowMs()));
  }

  private onTimer(): void {
    const now = nowMs();
    let due = this.startedAt + (this.tick + 1) * FRAME_MS;
    if (now - due > MAX_CATCH_UP_MS) {
      // The event loop stalled: count the lost ticks as late and restart the grid from now.
      const missed = Math.floor((now - due) / FRAME_MS);
      this.stats.framesLate += missed * this.streams.size;
      this.startedAt = now - FRAME_MS;
      this.tick = 0;
      due = now;
    }
    // Send every tick that is due (normally exactly one; two after a short stall).
    while (due <= nowMs() + 0.5) {
      const lateness = Math.max(0, nowMs() - due);
      for (const stream of this.streams) {
        try {
          stream.sendFrame();
        } catch {
          // A stream's failure is its own call's business (it removes itself); others go on.
        }
      }
      this.tick += 1;
      this.stats.ticks += 1;
      this.stats.framesSent += this.streams.size;
      if (lateness > LATE_AFTER_MS) this.stats.framesLate += this.streams.size;
      for (let b = 0; b < LATENESS_BUCKETS_MS.length; b++)
        if (lateness <= (LATENESS_BUCKETS_MS[b] as number)) (this.stats.latenessBuckets[b] as number)++;
      due = this.startedAt + (this.tick + 1) * FRAME_MS;
    }
    if (this.streams.size > 0) this.schedule();
    else this.timer = undefined;
  }
}
