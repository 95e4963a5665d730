// `npm run bench:pacer`: the core's pacer alone. N TCP connections on loopback to a peer process
// that only reads (standing in for Asterisk), one 20 ms AudioSocket frame per connection per
// interval from the core's own Pacer and frame encoder, and nothing else on the event loop.
// It tells apart what pacing costs from what the rest of a call costs (bench:core).
import { connect, type Socket } from "node:net";
import { encodeAudio } from "../apps/core/src/audiosocket/frame.ts";
import { LATENESS_BUCKETS_MS, Pacer } from "../apps/core/src/audiosocket/pacer.ts";
import { bucketBound, spawnUntil, writeResult } from "./lib.ts";

const STEPS = [200, 500, 1_000];
const WARM_UP_MS = 2_000;
const WINDOW_MS = 10_000;

/** Counts added to cumulative buckets between two snapshots. */
const added = (before: number[], after: number[]) => after.map((v, b) => v - (before[b] as number));

async function step(port: number, n: number) {
  const pacer = new Pacer();
  const sockets: Socket[] = [];
  const pcm = Buffer.alloc(320, 1); // audible frames: each one encoded, as a reply's are
  for (let i = 0; i < n; i++) {
    const socket = connect(port, "127.0.0.1");
    await new Promise((r) => socket.once("connect", r));
    socket.setNoDelay(true);
    sockets.push(socket);
    pacer.add({ turn: () => socket.write(encodeAudio(pcm)) });
  }
  await new Promise((r) => setTimeout(r, WARM_UP_MS));
  const s = pacer.stats;
  const before = { ...s, latenessBuckets: [...s.latenessBuckets], jitterBuckets: [...s.jitterBuckets] };
  const cpu = process.cpuUsage();
  const at = performance.now();
  await new Promise((r) => setTimeout(r, WINDOW_MS));
  const used = process.cpuUsage(cpu);
  const seconds = (performance.now() - at) / 1000;
  const sent = s.framesSent - before.framesSent;
  const intervals = s.intervals - before.intervals;
  const result = {
    calls: n,
    lateFraction: (s.framesLate - before.framesLate) / sent,
    jitterP99: bucketBound(LATENESS_BUCKETS_MS, added(before.jitterBuckets, s.jitterBuckets), intervals, 0.99),
    latenessP99: bucketBound(LATENESS_BUCKETS_MS, added(before.latenessBuckets, s.latenessBuckets), sent, 0.99),
    cpuMsPerCallSecond: (used.user + used.system) / 1000 / (n * seconds),
  };
  pacer.stop();
  for (const socket of sockets) socket.destroy();
  process.stdout.write(
    `bench:pacer ${n} calls: jitter p99 <= ${result.jitterP99} ms, lateness p99 <= ${result.latenessP99} ms, ` +
      `late frames ${(result.lateFraction * 100).toFixed(2)}%, CPU ${result.cpuMsPerCallSecond.toFixed(3)} ms per call-second\n`,
  );
  return result;
}

async function main(): Promise<void> {
  const peer = await spawnUntil(["bench/pacer-peer.ts"], {}, /peer on/);
  const port = Number(/peer on (\d+)/.exec(peer.line)?.[1]);
  try {
    const results = [];
    for (const n of STEPS) results.push(await step(port, n));
    const metrics: Parameters<typeof writeResult>[1] = {};
    for (const r of results) {
      metrics[`jitter_p99_ms_at_${r.calls}`] = { value: r.jitterP99, unit: "ms (histogram bucket bound)" };
      metrics[`late_frames_at_${r.calls}`] = { value: Math.round(r.lateFraction * 10_000) / 100, unit: "%" };
      metrics[`cpu_ms_per_call_second_at_${r.calls}`] = { value: Math.round(r.cpuMsPerCallSecond * 1000) / 1000, unit: "ms" };
    }
    const file = writeResult(
      "pacer",
      metrics,
      `the core's Pacer alone writing audible frames to N loopback TCP connections; the reading peer in its own process; ${WINDOW_MS / 1000} s per step`,
    );
    process.stdout.write(`bench:pacer wrote ${file}\n`);
  } finally {
    peer.child.kill();
  }
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    process.stderr.write(`bench:pacer failed: ${err.stack ?? err.message}\n`);
    process.exit(1);
  },
);
