// The machine's own clock, for bench:core: one probe per CPU keeps a 2 ms grid (absolute due
// times, like the core's pacer slots) and notes how late each wake-up was. Its grid's thread runs
// under SCHED_FIFO (`chrt -f -p`), which preempts any ordinary thread on its CPU at once, so a
// late wake-up is not the core's work: it is the hypervisor not running that virtual CPU (steal) or
// the kernel. Two things come out of it, per window:
//   - the floor of the pacer's jitter figure: the same measure (each interval between ticks one
//     20 ms period apart, against 20 ms) for a clock that does nothing else on the core's CPU;
//   - the stalls: each wake-up PROBE_STALL_MS or more late, with when it was due (the machine's
//     monotonic clock, as the stubs' time stamps), to set against the core's late frames and
//     slow replies of the same moments.
// The grid runs in a worker (clock-grid.mjs); the main thread answers GET /report with what the
// worker handed over since the last.
import { execFileSync } from "node:child_process";
import { createServer } from "node:http";
import { Worker } from "node:worker_threads";
import { LATENESS_BUCKETS_MS } from "../apps/core/src/audiosocket/pacer.ts";

const TICK_MS = 2;
const PERIOD_TICKS = 10; // 20 ms: the interval the pacer's jitter measures
const STALL_MS = Number(process.env.PROBE_STALL_MS ?? 2);
/** How often the worker hands its figures to the main thread. */
const HANDOVER_MS = 250;

/** What GET /report answers: since the previous report. */
export type TProbeReport = {
  /** Intervals per bucket of LATENESS_BUCKETS_MS (not cumulative; the last is over the last bound). */
  jitter: number[];
  intervals: number;
  stalls: { at: number; ms: number }[];
};

const pending: TProbeReport = { jitter: new Array(LATENESS_BUCKETS_MS.length + 1).fill(0), intervals: 0, stalls: [] };
const worker = new Worker(new URL("./clock-grid.mjs", import.meta.url), {
  workerData: { tickMs: TICK_MS, periodTicks: PERIOD_TICKS, stallMs: STALL_MS, handoverMs: HANDOVER_MS, bounds: LATENESS_BUCKETS_MS },
});
worker.on("message", (r: TProbeReport | { tid: number }) => {
  if ("tid" in r) return listen(realtime(r.tid));
  r.jitter.forEach((n, b) => {
    pending.jitter[b] = (pending.jitter[b] as number) + n;
  });
  pending.intervals += r.intervals;
  pending.stalls.push(...r.stalls);
});
worker.on("error", (err) => {
  process.stderr.write(`clock probe: ${err.message}\n`);
  process.exit(1);
});
const server = createServer((req, res) => {
  if (req.url !== "/report") return void res.writeHead(404).end();
  res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(pending));
  pending.jitter.fill(0);
  pending.intervals = 0;
  pending.stalls = [];
});

/** Raises the grid's thread to SCHED_FIFO; what stands in the way otherwise (no privilege). */
function realtime(tid: number): string {
  const sliceUs = Number(process.env.PROBE_SLICE_US ?? 0);
  if (sliceUs > 0) return customSlice(tid, sliceUs);
  // PROBE_REALTIME=0: an ordinary thread, as a sender thread inside the core would be (an experiment).
  if (process.env.PROBE_REALTIME === "0") return "not real-time (PROBE_REALTIME=0): its lateness includes what else runs on its CPU";
  try {
    execFileSync("chrt", ["-f", "-p", "1", String(tid)], { stdio: ["ignore", "ignore", "pipe"] });
    return "SCHED_FIFO";
  } catch (err) {
    return `not real-time (${String((err as { stderr?: Buffer }).stderr ?? err).trim()}): its lateness includes what else runs on its CPU`;
  }
}

/**
 * PROBE_SLICE_US (an experiment, 2026-12-07): the grid's thread stays an ordinary one but asks
 * for a custom slice, as a sender thread inside the core could without any privilege: on kernels
 * from 6.12 (EEVDF) a waking thread with a shorter slice than the running one preempts it. Node
 * has no call for sched_setattr, so this one goes through python3's ctypes (x86-64 syscall 314);
 * bench only, and it says what is missing when it cannot.
 */
function customSlice(tid: number, sliceUs: number): string {
  const setattr = [
    "import ctypes, struct, sys",
    "libc = ctypes.CDLL(None, use_errno=True)",
    "attr = ctypes.create_string_buffer(struct.pack('IIQiIQQQII', 56, 0, 0, 0, 0, int(sys.argv[2]), 0, 0, 0, 0))",
    "if libc.syscall(314, int(sys.argv[1]), attr, 0) != 0: sys.exit('sched_setattr failed, errno %d' % ctypes.get_errno())",
  ].join("\n");
  try {
    execFileSync("python3", ["-c", setattr, String(tid), String(sliceUs * 1_000)], { stdio: ["ignore", "ignore", "pipe"] });
    return `an ordinary thread with a custom slice of ${sliceUs} us (PROBE_SLICE_US): its lateness includes what else runs on its CPU`;
  } catch (err) {
    return `an ordinary thread, no custom slice (${String((err as { stderr?: Buffer }).stderr ?? err).trim()}): its lateness includes what else runs on its CPU`;
  }
}

function listen(how: string): void {
  server.listen(Number(process.env.PROBE_PORT ?? 0), "127.0.0.1", () => {
    const address = server.address();
    process.stdout.write(`clock probe on ${typeof address === "object" && address ? address.port : ""}, ${how}\n`);
  });
}
