// The clock probe's grid (clock-probe.ts), in a worker blocked in Atomics.wait: sub-millisecond
// timeouts and no event loop in the way. Plain JavaScript because a worker does not get the tsx
// loader of the process that starts it.
import { readlinkSync } from "node:fs";
import { parentPort, workerData } from "node:worker_threads";

// This thread's id, for the probe to raise it to SCHED_FIFO (only this thread: a whole process
// under SCHED_FIFO on one CPU starves its own threads that wait for each other).
parentPort.postMessage({ tid: Number(readlinkSync("/proc/thread-self").split("/").at(-1)) });

const { tickMs, periodTicks, stallMs, handoverMs, bounds } = workerData;
// The pacer's bucketing (pacer.ts bucketIndex), which this plain-JavaScript worker cannot import.
const bucketOf = (ms) => {
  let b = 0;
  while (b < bounds.length && ms > bounds[b]) b++;
  return b;
};

const sleeper = new Int32Array(new SharedArrayBuffer(4));
// performance.now() of a worker has its own origin: stalls are stamped on the machine's clock.
const offset = Number(process.hrtime.bigint()) / 1e6 - performance.now();
const start = performance.now();
const firedAt = new Float64Array(periodTicks);
let jitter = new Array(bounds.length + 1).fill(0);
let intervals = 0;
let stalls = [];
let handedAt = start;
for (let k = 0; ; k++) {
  const due = start + (k + 1) * tickMs;
  const wait = due - performance.now();
  if (wait > 0) Atomics.wait(sleeper, 0, 0, wait);
  const now = performance.now();
  if (now - due >= stallMs) stalls.push({ at: due + offset, ms: now - due });
  const slot = k % periodTicks;
  if (k >= periodTicks) {
    jitter[bucketOf(Math.abs(now - firedAt[slot] - tickMs * periodTicks))]++;
    intervals++;
  }
  firedAt[slot] = now;
  if (now - handedAt >= handoverMs) {
    parentPort.postMessage({ jitter, intervals, stalls });
    jitter = jitter.map(() => 0);
    intervals = 0;
    stalls = [];
    handedAt = now;
  }
}
