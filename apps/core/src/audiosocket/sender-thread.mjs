// @ts-check
// The frame sender's thread: started by frame-sender.ts, which says why it exists and owns the
// shared memory's layout (passed here in workerData). Plain JavaScript because Node 20 loads a
// worker's file as it is: no TypeScript loader runs in a worker thread, in the tests, under tsx or
// in the image's bundle.
//
// It only sends: every 20 ms, in each open call's send slot, one AudioSocket frame straight on
// the call's socket descriptor — the next frame the main thread put in the call's ring, or
// silence when the ring is empty. It sleeps on a futex (Atomics.wait) until the next awake slot's
// due time or until the main thread wakes it (a call opened or closing, a reply to start now). It
// allocates nothing per frame, so its own heap never needs a collection that would delay a slot.
import { execFileSync } from "node:child_process";
import { existsSync, readlinkSync, writeSync } from "node:fs";
import { getPriority } from "node:os";
import { fileURLToPath } from "node:url";
import { parentPort, workerData } from "node:worker_threads";

/** @type {{ control: SharedArrayBuffer; frames: SharedArrayBuffer; stats: SharedArrayBuffer; silentFrame: Uint8Array; sliceUs: number; layout: Record<string, number>; bucketsMs: number[] }} */
const data = workerData;
const L = data.layout;
const ctrl = new Int32Array(data.control);
const ring = Buffer.from(data.frames);
const counters = new Float64Array(data.stats);
const silent = Buffer.from(data.silentFrame);
const BUCKETS = data.bucketsMs;
const FRAME = L.FRAME_BYTES;
const DEPTH = L.DEPTH;
const SLOTS = L.SLOTS;
const SLOT_MS = L.SLOT_MS;
const FRAME_MS = SLOTS * SLOT_MS;
/** A slot tick this close is served now: the futex's wake-up is a few µs late at worst. */
const EARLY_MS = 0.05;

// A socket whose kernel buffer is full answers EAGAIN, which Node throws: nothing in this thread
// needs a stack trace, and one costs ten times the throw.
Error.stackTraceLimit = 0;

const base = (/** @type {number} */ call) => L.HEADER_WORDS + call * L.CALL_WORDS;
/** When each call's previous frame went out (NaN: none yet, or an early start, whose intervals are not counted). */
const lastSentAt = new Float64Array(L.MAX_CALLS).fill(Number.NaN);
/** Bytes a full kernel buffer did not take yet, per call (rare: a peer that stops reading). */
/** @type {(Buffer | undefined)[]} */
const unsent = new Array(L.MAX_CALLS).fill(undefined);
/** The calls that send in each slot (rebuilt when the table changes). */
/** @type {number[][]} */
let slots = Array.from({ length: SLOTS }, () => []);
let active = 0;
let startedAt = 0;
let tick = 0;
let served = -1;
/** Slot ticks served, told to the main thread (wrapping like an Int32). */
let serial = 0;

function bucketIndex(/** @type {number} */ ms) {
  let b = 0;
  while (b < BUCKETS.length && ms > /** @type {number} */ (BUCKETS[b])) b++;
  return b;
}

function ack(/** @type {number} */ call) {
  const b = base(call);
  unsent[call] = undefined;
  lastSentAt[call] = Number.NaN;
  Atomics.store(ctrl, b + L.STATE, L.CLOSED);
  Atomics.notify(ctrl, b + L.STATE);
}

/** The open calls by slot; calls asked to close now are let go here (never written to again). */
function rebuild() {
  const next = Array.from({ length: SLOTS }, () => /** @type {number[]} */ ([]));
  let count = 0;
  for (let call = 0; call < L.MAX_CALLS; call++) {
    const state = Atomics.load(ctrl, base(call) + L.STATE);
    if (state === L.CLOSE_NOW || (state === L.CLOSE_DRAINED && drained(call))) ack(call);
    else if (state === L.OPEN || state === L.CLOSE_DRAINED) {
      /** @type {number[]} */ (next[ctrl[base(call) + L.SLOT] ?? 0]).push(call);
      count++;
    }
  }
  if (active === 0 && count > 0) {
    startedAt = performance.now();
    tick = 0;
    served = -1;
  }
  slots = next;
  active = count;
}

/** Nothing left to send: the ring is empty (or cleared) and the kernel took every byte. */
function drained(/** @type {number} */ call) {
  const b = base(call);
  const readSeq = Math.max(ctrl[b + L.READ_SEQ] ?? 0, Atomics.load(ctrl, b + L.CLEAR_TO));
  return (Atomics.load(ctrl, b + L.WRITE_SEQ) <= readSeq && unsent[call] === undefined) || ctrl[b + L.FAILED] !== 0;
}

const dueAt = (/** @type {number} */ t) => startedAt + (t + 1) * SLOT_MS;

function isWouldBlock(/** @type {unknown} */ err) {
  const code = /** @type {NodeJS.ErrnoException} */ (err).code;
  return code === "EAGAIN" || code === "EWOULDBLOCK" || code === "EINTR";
}

/** Writes what the kernel takes; the rest waits in `unsent` (copied: the ring's slot is reused). */
function write(/** @type {number} */ call, /** @type {Buffer} */ bytes, /** @type {number} */ offset) {
  const b = base(call);
  const fd = ctrl[b + L.FD] ?? -1;
  const pending = unsent[call];
  if (pending) {
    const all = Buffer.concat([pending, bytes.subarray(offset, offset + FRAME)]);
    let n = 0;
    try {
      n = writeSync(fd, all, 0, all.length);
    } catch (err) {
      if (!isWouldBlock(err)) throw err;
    }
    unsent[call] = n === all.length ? undefined : all.subarray(n);
  } else {
    let n = 0;
    try {
      n = writeSync(fd, bytes, offset, FRAME);
    } catch (err) {
      if (!isWouldBlock(err)) throw err;
    }
    if (n < FRAME) unsent[call] = Buffer.from(bytes.subarray(offset + n, offset + FRAME));
  }
  ctrl[b + L.BACKLOG] = unsent[call]?.length ?? 0;
}

/** Sends the call's next frame: the ring's head, or silence. */
function send(/** @type {number} */ call) {
  const b = base(call);
  if (ctrl[b + L.FAILED] !== 0 || Atomics.load(ctrl, b + L.MUTED) !== 0) return;
  let readSeq = Math.max(ctrl[b + L.READ_SEQ] ?? 0, Atomics.load(ctrl, b + L.CLEAR_TO));
  try {
    if (Atomics.load(ctrl, b + L.WRITE_SEQ) > readSeq) {
      write(call, ring, (call * DEPTH + (readSeq % DEPTH)) * FRAME);
      readSeq++;
      ctrl[b + L.LAST_SILENT] = 0;
    } else {
      write(call, silent, 0);
      ctrl[b + L.LAST_SILENT] = 1;
    }
  } catch (err) {
    // The peer is gone (a reset, a broken pipe): the main thread's next read tells a hang-up
    // from a failure and ends the call; nothing more is written.
    ctrl[b + L.FAILED] = Number(/** @type {NodeJS.ErrnoException} */ (err).errno ?? -1) || -1;
  }
  // Published after the write: the main thread refills this ring slot only once it is sent.
  Atomics.store(ctrl, b + L.READ_SEQ, readSeq);
}

function record(/** @type {number} */ call, /** @type {number} */ sentAt, /** @type {number} */ due) {
  const lateness = Math.max(0, sentAt - due);
  counters[L.FRAMES_SENT]++;
  if (lateness > L.LATE_AFTER_MS) counters[L.FRAMES_LATE]++;
  counters[L.LATENESS + bucketIndex(lateness)]++;
  const last = lastSentAt[call] ?? Number.NaN;
  if (!Number.isNaN(last)) {
    counters[L.JITTER + bucketIndex(Math.abs(sentAt - last - FRAME_MS))]++;
    counters[L.INTERVALS]++;
  }
  lastSentAt[call] = sentAt;
}

/** Serves every slot tick that is due (normally one; a few after a stall of this thread). */
function serveDue() {
  let now = performance.now();
  if (now - dueAt(tick) > L.MAX_CATCH_UP_MS) {
    // The thread was not run for a while: count the frames lost as late and restart the grid
    // from now rather than burst them.
    const missedTicks = Math.floor((now - dueAt(tick)) / SLOT_MS);
    counters[L.FRAMES_LATE] += Math.round((missedTicks / SLOTS) * active);
    startedAt = now - (tick + 1) * SLOT_MS;
  }
  let closing = false;
  while (dueAt(tick) <= now + EARLY_MS) {
    const due = dueAt(tick);
    const slot = tick % SLOTS;
    served = tick;
    tick++;
    for (const call of /** @type {number[]} */ (slots[slot])) {
      const b = base(call);
      if (Atomics.load(ctrl, b + L.MUTED) !== 0) continue;
      const sentAt = performance.now();
      send(call);
      record(call, sentAt, due);
      if (Atomics.load(ctrl, b + L.STATE) === L.CLOSE_DRAINED) closing = true;
    }
    // The main thread's turn for this slot (reads, ring top-ups): it runs as this thread sleeps.
    serial = (serial + 1) | 0;
    ctrl[L.SERVED + (serial & L.SERVED_MASK)] = slot;
    Atomics.store(ctrl, L.SERIAL, serial);
    Atomics.notify(ctrl, L.SERIAL);
    now = performance.now();
  }
  // Asleep slots are never woken for.
  for (let i = 0; i < SLOTS && /** @type {number[]} */ (slots[tick % SLOTS]).length === 0; i++) tick++;
  if (closing) rebuild();
}

/**
 * Replies that start while their call sends silence: the first frame goes out now, off the grid,
 * unless the call's own turn is due within a slot anyway. Asterisk sees one interval between
 * silence and speech shortened, never two frames at once; the call keeps its slot.
 */
function startNow() {
  const now = performance.now();
  for (const calls of slots) {
    for (const call of calls) {
      const b = base(call);
      if (Atomics.exchange(ctrl, b + L.START_NOW, 0) === 0) continue;
      let nextTurn = Math.max(served + 1, Math.floor((now - startedAt) / SLOT_MS));
      while (nextTurn % SLOTS !== ctrl[b + L.SLOT]) nextTurn++;
      if (dueAt(nextTurn) - now < SLOT_MS) continue;
      send(call);
      // Not late and not jitter: neither the shortened interval before nor the one after counts.
      counters[L.FRAMES_SENT]++;
      counters[L.EARLY_STARTS]++;
      counters[L.LATENESS]++;
      lastSentAt[call] = Number.NaN;
    }
  }
}

/**
 * A custom EEVDF slice (Linux 6.12+): a waking thread whose slice is shorter than the running
 * one's preempts it, so this thread sends on time beside a busy main thread without any privilege
 * (SCHED_FIFO would need CAP_SYS_NICE and a real-time budget). Node has no call for
 * sched_setattr, so another process makes it for this thread: `sched-slice` beside this file
 * (apps/core/sched-slice, a static Go program the image and the benchmark's bundle carry), or
 * else python3's ctypes (a checkout run from its sources). What stands in the way is reported,
 * not fatal.
 */
function customSlice() {
  const sliceUs = data.sliceUs;
  if (!(sliceUs > 0)) return { sliceUs: 0, why: "off (CORE_SENDER_SLICE_US=0)" };
  // This thread's id: /proc/thread-self is read by the thread that asks.
  const tid = String(Number(readlinkSync("/proc/thread-self").split("/")[2]));
  const nice = String(getPriority());
  const helper = fileURLToPath(new URL("./sched-slice", import.meta.url));
  /** @type {[string, string[]] | string} */
  const how = existsSync(helper) ? [helper, [tid, nice, String(sliceUs)]] : pythonSetattr(tid, nice, sliceUs);
  if (typeof how === "string") return { sliceUs: 0, why: `no custom slice: ${how}` };
  try {
    execFileSync(how[0], how[1], { stdio: ["ignore", "ignore", "pipe"], timeout: 5_000 });
    return { sliceUs, why: `a custom slice of ${sliceUs} us` };
  } catch (err) {
    const stderr = /** @type {{ stderr?: Buffer }} */ (err).stderr?.toString().trim();
    return { sliceUs: 0, why: `no custom slice: ${stderr || /** @type {Error} */ (err).message}` };
  }
}

/**
 * The same system call through python3's ctypes.
 * @returns {[string, string[]] | string} the command and its arguments, or why there is none
 */
function pythonSetattr(/** @type {string} */ tid, /** @type {string} */ nice, /** @type {number} */ sliceUs) {
  const syscall = process.arch === "x64" ? 314 : process.arch === "arm64" ? 274 : 0;
  if (syscall === 0) return `no sched_setattr number known for ${process.arch}`;
  const setattr = [
    "import ctypes, struct, sys",
    "libc = ctypes.CDLL(None, use_errno=True)",
    // struct sched_attr (56 bytes): size, policy SCHED_OTHER, flags, nice, priority, runtime (the slice, ns), ...
    "attr = ctypes.create_string_buffer(struct.pack('IIQiIQQQII', 56, 0, 0, int(sys.argv[3]), 0, int(sys.argv[4]), 0, 0, 0, 0))",
    "if libc.syscall(int(sys.argv[1]), int(sys.argv[2]), attr, 0) != 0: sys.exit('sched_setattr failed, errno %d' % ctypes.get_errno())",
  ].join("\n");
  return ["python3", ["-c", setattr, String(syscall), tid, nice, String(sliceUs * 1_000)]];
}

parentPort?.postMessage({ ready: true, ...customSlice() });
let tableGen = -1;
let startGen = 0;
for (;;) {
  const wake = Atomics.load(ctrl, L.WAKE);
  if (Atomics.load(ctrl, L.STOP) !== 0) break;
  const gen = Atomics.load(ctrl, L.TABLE_GEN);
  if (gen !== tableGen) {
    tableGen = gen;
    rebuild();
  }
  if (active > 0) {
    const starts = Atomics.load(ctrl, L.START_GEN);
    if (starts !== startGen) {
      startGen = starts;
      startNow();
    }
    serveDue();
  }
  const timeout = active > 0 ? Math.max(0, dueAt(tick) - performance.now()) : Number.POSITIVE_INFINITY;
  Atomics.wait(ctrl, L.WAKE, wake, timeout);
}
