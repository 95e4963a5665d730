// The frame sender: every call's outbound frames go out from a thread of their own
// (sender-thread.mjs), not from the event loop that runs the calls' pipelines.
//
// Why: the main thread's garbage collections (a scavenge every ~0.8 s at 200 calls, 5-7 ms, up to
// 38) and its longer callbacks delayed every slot tick due meanwhile, and the kernel lets a busy
// thread finish its slice before a waking one runs: at 200 calls 96.5% of a call's intervals were
// within 2 ms of 20 ms (bench/README.md). The sender thread has its own heap and allocates nothing
// per frame, so it never waits for a collection; asking the kernel for a short slice (100 µs, see
// sender-thread.mjs) lets it preempt the main thread when its slot is due, with no privilege.
//
// The main thread still reads each call and runs its pipeline; it keeps a call's ring topped up
// with the next DEPTH frames (80 ms) of its outbound audio, so a pause of the main thread shorter
// than that leaves no gap; the sender sends the ring's head every 20 ms in the call's send slot,
// or silence. Barge-in empties the ring at once (its frames were not sent yet); a reply that starts
// while its call sends silence is sent at once (`startNow`), as the in-process pacer did.
//
// Everything crosses in shared memory (no message per frame): per call a few Int32 words (state,
// descriptor, slot, the ring's sequence numbers) and its ring of frames; the send statistics are
// counters the sender adds to. The descriptor is the socket's: `close()` resolves only once the
// sender will never write to it again, and the socket is closed after that — a closed
// descriptor's number is reused by the next connection, which would get this call's audio.
import { Worker } from "node:worker_threads";
import { encodeAudio, HEADER_BYTES, newAudioFrame, SLIN8_FRAME_BYTES } from "./frame.ts";
import { FRAME_MS, LATE_AFTER_MS, LATENESS_BUCKETS_MS, SLOT_MS, SLOTS } from "./pacer.ts";

/** Frames a call's ring holds ahead of what is sent: 80 ms, longer than the main thread's pauses (scavenges of 5-38 ms). */
export const SENDER_DEPTH = 4;
/** Calls one sender takes; the shared memory is sized for them up front (1.3 MiB of frames). */
export const SENDER_MAX_CALLS = 1_024;
/** The slice the sender thread asks the kernel for, by default (`CORE_SENDER_SLICE_US`). */
export const DEFAULT_SENDER_SLICE_US = 100;

const BUCKETS = LATENESS_BUCKETS_MS.length + 1;
/** Shared with sender-thread.mjs, which takes it from workerData. */
const LAYOUT = {
  // Header words.
  WAKE: 0,
  STOP: 1,
  TABLE_GEN: 2,
  START_GEN: 3,
  /** Slot ticks served so far (wrapping); the slot of tick n is in SERVED + (n & SERVED_MASK). */
  SERIAL: 4,
  SERVED: 8,
  SERVED_MASK: 15,
  HEADER_WORDS: 24,
  // Words of each call.
  STATE: 0,
  FD: 1,
  SLOT: 2,
  WRITE_SEQ: 3,
  READ_SEQ: 4,
  CLEAR_TO: 5,
  START_NOW: 6,
  FAILED: 7,
  BACKLOG: 8,
  LAST_SILENT: 9,
  /** 1 until the call's UUID is known: its slot is awake (its reads run) but nothing is sent. */
  MUTED: 10,
  CALL_WORDS: 11,
  // A call's states.
  FREE: 0,
  OPEN: 1,
  CLOSE_NOW: 2,
  CLOSE_DRAINED: 3,
  CLOSED: 4,
  // Counters (Float64).
  FRAMES_SENT: 0,
  FRAMES_LATE: 1,
  INTERVALS: 2,
  EARLY_STARTS: 3,
  LATENESS: 4,
  JITTER: 4 + BUCKETS,
  COUNTERS: 4 + 2 * BUCKETS,
  // Constants.
  MAX_CALLS: SENDER_MAX_CALLS,
  DEPTH: SENDER_DEPTH,
  FRAME_BYTES: HEADER_BYTES + SLIN8_FRAME_BYTES,
  SLOTS,
  SLOT_MS,
  LATE_AFTER_MS,
  MAX_CATCH_UP_MS: 60,
};
if (FRAME_MS !== SLOTS * SLOT_MS) throw new Error("the sender's grid must be the pacer's");

/** Node 20 has Atomics.waitAsync (V8); the project's TypeScript lib (ES2022) does not declare it yet. */
const waitAsync = (Atomics as unknown as { waitAsync(a: Int32Array, index: number, value: number): { async: boolean; value: unknown } })
  .waitAsync;

export type TSenderStats = {
  framesSent: number;
  framesLate: number;
  intervals: number;
  earlyStarts: number;
  /** Cumulative, like Prometheus buckets (LATENESS_BUCKETS_MS). */
  latenessBuckets: number[];
  jitterBuckets: number[];
};

/** One call's side of the sender. */
export type TSenderLine = {
  /** Frames the ring can take now. */
  readonly room: number;
  /** The ring's next frame to fill: its PCM at HEADER_BYTES; `commit()` hands it to the sender. */
  next(): Buffer;
  commit(): void;
  /** Drops every frame not sent yet (barge-in). */
  clear(): void;
  /** The call is known (its UUID): from now on it sends, silence when it has nothing to say. */
  unmute(): void;
  /** True when the last frame sent was silence and nothing waits in the ring. */
  readonly silent: boolean;
  /** Sends the ring's head now, off the grid, unless the call's turn is due within a slot. */
  startNow(): void;
  /** Outbound bytes the peer's kernel buffer did not take yet. */
  readonly backlogBytes: number;
  /** The errno of a write that failed (the peer is gone), or 0. */
  readonly failure: number;
  /** Resolves once the sender will never touch the descriptor again; `drain` sends what the ring holds first. */
  close(drain: boolean): Promise<void>;
};

export type TSenderStatus = { sliceUs: number; why: string };

/** Where a call's words start in the control table. */
const callWords = (call: number) => LAYOUT.HEADER_WORDS + call * LAYOUT.CALL_WORDS;

export class FrameSender {
  private readonly control = new Int32Array(new SharedArrayBuffer((LAYOUT.HEADER_WORDS + SENDER_MAX_CALLS * LAYOUT.CALL_WORDS) * 4));
  private readonly frames = Buffer.from(new SharedArrayBuffer(SENDER_MAX_CALLS * SENDER_DEPTH * LAYOUT.FRAME_BYTES));
  private readonly counters = new Float64Array(new SharedArrayBuffer(LAYOUT.COUNTERS * 8));
  private readonly free: number[] = Array.from({ length: SENDER_MAX_CALLS }, (_, i) => SENDER_MAX_CALLS - 1 - i);
  private worker: Worker | undefined;
  /** Set when the thread is gone: no descriptor is written any more, so every close is immediate. */
  private gone = false;
  private readonly closing = new Map<number, () => void>();
  status: TSenderStatus = { sliceUs: 0, why: "not started" };
  /** Told once if the thread dies (a bug): the calls it served hear nothing more. */
  onFailure: ((err: Error) => void) | undefined;
  /**
   * Told on the main thread of each slot tick the sender has served, right after its frames went
   * out (the pacer's external clock: the slot's reads and ring top-ups follow its sends).
   */
  onSlot: ((slot: number) => void) | undefined;
  /** The last slot tick told to onSlot. */
  private seen = 0;

  constructor(private readonly sliceUs = DEFAULT_SENDER_SLICE_US) {
    // Every ring slot carries an audio frame's header once and for all: the main thread fills PCM only.
    const header = newAudioFrame().subarray(0, HEADER_BYTES);
    for (let i = 0; i < SENDER_MAX_CALLS * SENDER_DEPTH; i++) header.copy(this.frames, i * LAYOUT.FRAME_BYTES);
  }

  /** Starts the thread; resolves with how it runs (its slice) once it is ready to send. */
  start(): Promise<TSenderStatus> {
    const worker = new Worker(new URL("./sender-thread.mjs", import.meta.url), {
      workerData: {
        control: this.control.buffer,
        frames: this.frames.buffer,
        stats: this.counters.buffer,
        silentFrame: encodeAudio(Buffer.alloc(SLIN8_FRAME_BYTES)),
        sliceUs: this.sliceUs,
        layout: LAYOUT,
        bucketsMs: LATENESS_BUCKETS_MS,
      },
      // Its own small heap: it allocates nothing per frame.
      resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 },
    });
    this.worker = worker;
    const ended = (err: Error) => {
      if (this.gone) return;
      this.gone = true;
      for (const resolve of this.closing.values()) resolve();
      this.closing.clear();
      if (Atomics.load(this.control, LAYOUT.STOP) === 0) this.onFailure?.(err);
    };
    worker.on("exit", (code) => ended(new Error(`the frame sender's thread exited (code ${code})`)));
    return new Promise((resolve, reject) => {
      worker.once("error", (err) => {
        ended(err);
        reject(err);
      });
      worker.once("message", (m: { ready: boolean } & TSenderStatus) => {
        this.status = { sliceUs: m.sliceUs, why: m.why };
        this.listen();
        resolve(this.status);
      });
    });
  }

  /**
   * Waits, without blocking the event loop, for the sender to serve slot ticks, and tells onSlot
   * of each (a few at once when the main thread was busy; at most SERVED_MASK + 1, each slot once).
   */
  private listen(): void {
    const c = this.control;
    for (;;) {
      if (this.gone || Atomics.load(c, LAYOUT.STOP) !== 0) return;
      const waiting = waitAsync(c, LAYOUT.SERIAL, this.seen);
      if (waiting.async) {
        void (waiting.value as Promise<string>).then(() => {
          this.tell();
          this.listen();
        });
        return;
      }
      this.tell();
    }
  }

  private tell(): void {
    const c = this.control;
    if (Atomics.load(c, LAYOUT.STOP) !== 0) return;
    const serial = Atomics.load(c, LAYOUT.SERIAL);
    const behind = Math.min((serial - this.seen) | 0, LAYOUT.SERVED_MASK + 1, SLOTS);
    this.seen = serial;
    for (let n = serial - behind + 1; n <= serial; n++) this.onSlot?.(c[LAYOUT.SERVED + (n & LAYOUT.SERVED_MASK)] as number);
  }

  async stop(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    this.worker = undefined;
    Atomics.store(this.control, LAYOUT.STOP, 1);
    this.wake();
    // Lets go of the listener's wait too.
    Atomics.add(this.control, LAYOUT.SERIAL, 1);
    Atomics.notify(this.control, LAYOUT.SERIAL);
    await new Promise((resolve) => (this.gone ? resolve(undefined) : worker.once("exit", resolve)));
  }

  get stats(): TSenderStats {
    const c = this.counters;
    const cumulative = (from: number) => {
      let sum = 0;
      return LATENESS_BUCKETS_MS.map((_, b) => (sum += c[from + b] as number));
    };
    return {
      framesSent: c[LAYOUT.FRAMES_SENT] as number,
      framesLate: c[LAYOUT.FRAMES_LATE] as number,
      intervals: c[LAYOUT.INTERVALS] as number,
      earlyStarts: c[LAYOUT.EARLY_STARTS] as number,
      latenessBuckets: cumulative(LAYOUT.LATENESS),
      jitterBuckets: cumulative(LAYOUT.JITTER),
    };
  }

  /** A line for the call whose socket has descriptor `fd`, sending in the pacer's slot `slot`. */
  open(fd: number, slot: number): TSenderLine {
    if (!this.worker || this.gone) throw new Error("the frame sender is not running");
    const call = this.free.pop();
    if (call === undefined) throw new Error(`the frame sender is full (${SENDER_MAX_CALLS} calls)`);
    const c = this.control;
    const at = callWords(call);
    c.fill(0, at, at + LAYOUT.CALL_WORDS);
    c[at + LAYOUT.FD] = fd;
    c[at + LAYOUT.SLOT] = slot;
    c[at + LAYOUT.LAST_SILENT] = 1;
    c[at + LAYOUT.MUTED] = 1;
    Atomics.store(c, at + LAYOUT.STATE, LAYOUT.OPEN);
    this.tableChanged();
    return new SenderLine(this, c, this.frames, call);
  }

  /** @internal for SenderLine: has the sender send the call's ring head now (see TSenderLine.startNow). */
  startNow(call: number): void {
    const c = this.control;
    Atomics.store(c, callWords(call) + LAYOUT.START_NOW, 1);
    Atomics.add(c, LAYOUT.START_GEN, 1);
    this.wake();
  }

  /** @internal for SenderLine: asks the sender to let go of the call (see TSenderLine.close). */
  close(call: number, drain: boolean): Promise<void> {
    const c = this.control;
    const state = callWords(call) + LAYOUT.STATE;
    const release = () => {
      Atomics.store(c, state, LAYOUT.FREE);
      this.free.push(call);
    };
    if (this.gone) {
      release();
      return Promise.resolve();
    }
    const asked = drain ? LAYOUT.CLOSE_DRAINED : LAYOUT.CLOSE_NOW;
    Atomics.store(c, state, asked);
    const done = new Promise<void>((resolve) => {
      this.closing.set(call, resolve);
      const waiting = waitAsync(c, state, asked);
      if (waiting.async) void (waiting.value as Promise<string>).then(() => resolve());
      else resolve();
    }).then(() => {
      this.closing.delete(call);
      release();
    });
    this.tableChanged();
    return done;
  }

  private tableChanged(): void {
    Atomics.add(this.control, LAYOUT.TABLE_GEN, 1);
    this.wake();
  }

  private wake(): void {
    Atomics.add(this.control, LAYOUT.WAKE, 1);
    Atomics.notify(this.control, LAYOUT.WAKE);
  }
}

/**
 * One call's line: a class, not an object literal of closures, so every line shares one shape
 * and its accessors live on one prototype — the event loop reads `room`, `backlogBytes` and
 * `failure` of every call every 20 ms, and per-call getter closures made those loads generic
 * (V8's LoadIC: ~4% of the core's main thread at 200 calls).
 */
class SenderLine implements TSenderLine {
  /** The call's words in the control table. */
  private readonly at: number;
  private readonly views: Buffer[];
  private writeSeq = 0;
  private closed: Promise<void> | undefined;

  constructor(
    private readonly sender: FrameSender,
    private readonly control: Int32Array,
    frames: Buffer,
    private readonly call: number,
  ) {
    this.at = callWords(call);
    const ringAt = call * SENDER_DEPTH;
    this.views = Array.from({ length: SENDER_DEPTH }, (_, i) =>
      frames.subarray((ringAt + i) * LAYOUT.FRAME_BYTES, (ringAt + i + 1) * LAYOUT.FRAME_BYTES),
    );
  }

  /** What the sender has sent, or dropped on a clear. */
  private sentUpTo(): number {
    return Math.max(Atomics.load(this.control, this.at + LAYOUT.READ_SEQ), Atomics.load(this.control, this.at + LAYOUT.CLEAR_TO));
  }

  get room(): number {
    return this.closed ? 0 : SENDER_DEPTH - (this.writeSeq - this.sentUpTo());
  }

  next(): Buffer {
    return this.views[this.writeSeq % SENDER_DEPTH] as Buffer;
  }

  commit(): void {
    this.writeSeq++;
    Atomics.store(this.control, this.at + LAYOUT.WRITE_SEQ, this.writeSeq);
  }

  clear(): void {
    Atomics.store(this.control, this.at + LAYOUT.CLEAR_TO, this.writeSeq);
  }

  unmute(): void {
    Atomics.store(this.control, this.at + LAYOUT.MUTED, 0);
  }

  get silent(): boolean {
    return Atomics.load(this.control, this.at + LAYOUT.LAST_SILENT) === 1 && this.sentUpTo() >= this.writeSeq;
  }

  startNow(): void {
    this.sender.startNow(this.call);
  }

  get backlogBytes(): number {
    return Atomics.load(this.control, this.at + LAYOUT.BACKLOG);
  }

  get failure(): number {
    return Atomics.load(this.control, this.at + LAYOUT.FAILED);
  }

  close(drain: boolean): Promise<void> {
    this.closed ??= this.sender.close(this.call, drain);
    return this.closed;
  }
}
