// `npm run bench:core`: N concurrent simulated calls against one core process, providers stubbed
// at fixed latency in their own process (bench/core-stubs.ts). Each caller speaks 1 s, waits for
// the agent's answer, pauses, and speaks again, for the whole window.
//   added latency = (first audible agent frame - end of caller speech) - (ASR + LLM + TTS stubs)
//   jitter        = how far each interval between a call's frames is from 20 ms (the core's /metrics)
//   lateness      = how late each frame left after its due time on the pacer's grid
//   CPU           = the core process's user+system time per second of call (and each apart)
//   RSS per call  = (the core's resident memory during N calls - before the first) / N
//   late frames   = frames the core sent over 10 ms after their due time (its /metrics), per N
// On a machine of two or more CPUs the core runs alone on CPU 1 and everything else — this load
// generator, the stubs, the License Service and Postgres — on CPU 0 (taskset), so the figures are
// the core's, not the machine's. Beside the 200-call runs a clock probe on each CPU
// (bench/clock-probe.ts, SCHED_FIFO) tells the host's stalls from the core's own lateness.
//
// BENCH_CORE_BASELINE=<another checkout> (e.g. `git worktree add ../base <commit>`, its
// node_modules linked) runs that checkout's core beside this one in the same run — each figure at
// 200 and at 10 calls alternates the two, fresh core each time — and records both: on a shared
// machine a ratio measured side by side is worth more than two absolute figures from two days.
import { type ChildProcess, execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { Agent, request } from "node:http";
import { connect, type Socket } from "node:net";
import { cpus, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import pg from "pg";
import { encodeAudio, encodeUuid, FrameDecoder } from "../apps/core/src/audiosocket/frame.ts";
import { LATENESS_BUCKETS_MS } from "../apps/core/src/audiosocket/pacer.ts";
import { migrateTenantDatabase } from "../apps/core/src/database.ts";
import { LICENSE_MIGRATIONS_DIR } from "../apps/license/src/database.ts";
import { createLicenseServer } from "../apps/license/src/server.ts";
import { applyMigrations, createTestDatabase, freePort, startTestServer } from "../packages/postgres/src/index.ts";
import { bundleApp } from "../scripts/bundle.ts";
import type { TProbeReport } from "./clock-probe.ts";
import type { TStubAnswer } from "./core-stubs.ts";
import { bucketBound, median, percentile, spawnUntil, type TMetric, writeResult } from "./lib.ts";

const STUB = { asr: 50, llm: 100, tts: 50 };
const PROVIDERS_MS = STUB.asr + STUB.llm + STUB.tts;
/** A stretch (from `at`, monotonic ms) in which a clock probe's CPU did not run it: the machine's. */
type TStall = TProbeReport["stalls"][number];
/** The clock probes (bench/clock-probe.ts) call a wake-up this late (ms) a stall of their CPU. */
const STALL_MS = 2;
const LATENCY_CALLS = 200;
const LATENCY_WINDOW_MS = 20_000;
const LATENCY_RUNS = 3;
const SWEEP = [300, 400, 500, 600, 700, 800];
const SWEEP_DOWN = [150, 100, 50, 25];
const SWEEP_WINDOW_MS = 10_000;
const TOKEN = randomBytes(24).toString("hex");

/** CPU time of a process in ms, user and system apart (Linux /proc; clock ticks of 100 Hz). */
function cpuTimes(pid: number): { user: number; system: number } {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return { user: Number(fields[11]) * 10, system: Number(fields[12]) * 10 };
}
const cpuMs = (pid: number) => {
  const t = cpuTimes(pid);
  return t.user + t.system;
};

/** Resident memory of a process, in MiB (Linux /proc). */
function rssMiB(pid: number): number {
  const kb = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
  return Number(kb) / 1024;
}

/** Another checkout whose core runs beside this one, figure by figure (see the top of this file). */
const BASELINE = process.env.BENCH_CORE_BASELINE ? resolve(process.env.BENCH_CORE_BASELINE) : undefined;

const ROOT = resolve(import.meta.dirname, "..");
// The core runs as it ships: its image's bundle under plain node, NODE_ENV=production — not tsx
// over the sources, whose loader thread and source maps (every Error's stack is mapped) a tenant
// never runs. BENCH_CORE_SOURCES=1 runs this checkout's sources through tsx, as the results before
// 2026-12-04 (morning) did; BENCH_CORE_BASELINE_SOURCES=1 the baseline's, to set the two ways of
// measuring side by side.
const FROM_SOURCES = process.env.BENCH_CORE_SOURCES === "1";
const BASELINE_FROM_SOURCES = process.env.BENCH_CORE_BASELINE_SOURCES === "1";

type TCoreEntry = { main: string; env: NodeJS.ProcessEnv; how: string };

/** How to start a checkout's core: its bundle (built here, as `npm run images` builds it) or its sources. */
async function coreEntry(checkout: string, fromSources: boolean, dir: string, name: string): Promise<TCoreEntry> {
  if (fromSources) return { main: join(checkout, "apps/core/src/main.ts"), env: {}, how: "its sources through tsx" };
  // A folder each: the worker's file and programs beside a bundle are its checkout's own.
  const main = join(dir, name, `${name}.mjs`);
  await bundleApp(checkout, "core", main);
  return {
    main,
    env: { NODE_ENV: "production", CORE_MIGRATIONS_DIR: join(checkout, "apps/core/prisma/migrations") },
    how: "its bundle under node, NODE_ENV=production",
  };
}

/** The core alone on CPU 1, the rest on CPU 0 — when there are two CPUs to split. */
const PINNED = cpus().length >= 2;
const CORE_CPUS = PINNED ? "1" : undefined;

/** Time (ms) the main thread of a process spent runnable but waiting for a CPU (Linux schedstat). */
function runQueueWaitMs(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/task/${pid}/schedstat`, "utf8").split(" ")[1]) / 1e6;
}

async function scrape(url: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const line of text.split("\n")) {
    const m = /^([a-z_]+(?:\{[^}]*\})?) ([0-9.eE+-]+)$/.exec(line);
    if (m) out[m[1] as string] = Number(m[2]);
  }
  return out;
}

/** One of the pacer's histograms within a window: cumulative bucket deltas and the count. */
function histogramWindow(name: string, before: Record<string, number>, after: Record<string, number>) {
  const delta = (k: string) => (after[k] ?? 0) - (before[k] ?? 0);
  return { cumulative: LATENESS_BUCKETS_MS.map((b) => delta(`${name}_bucket{le="${b}"}`)), count: delta(`${name}_count`) };
}

function histogramP99(name: string, before: Record<string, number>, after: Record<string, number>): number {
  const h = histogramWindow(name, before, after);
  return bucketBound(LATENESS_BUCKETS_MS, h.cumulative, h.count, 0.99);
}

/** Share of a histogram's observations at or under `bound` ms (a bucket bound), within a window. */
function histogramShareUnder(name: string, bound: number, before: Record<string, number>, after: Record<string, number>): number {
  const h = histogramWindow(name, before, after);
  return (h.cumulative[LATENESS_BUCKETS_MS.indexOf(bound)] ?? 0) / Math.max(1, h.count);
}

const SPEECH = Buffer.alloc(320);
for (let i = 0; i < 160; i++) SPEECH.writeInt16LE(i % 16 < 8 ? 6_000 : -6_000, i * 2);
const SILENCE = Buffer.alloc(320);
// Independent callers: each starts at its own moment and speaks and pauses for its own lengths.
// (Identical callers started together finish speaking in the same 20 ms every cycle, a
// thundering herd of replies no real population of callers produces.)
const SEED = 42;
let seed = SEED; // deterministic: every run and every step sees the same callers (runCalls resets it)
const random = () => {
  seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
  return seed / 2 ** 31;
};
const speechFrames = () => 40 + Math.floor(random() * 41); // 0.8 - 1.6 s
const pauseMs = () => 200 + random() * 400;
const START_SPREAD_MS = 2_000;
/** A whole number >= 0 (of ms, unless `unit` says otherwise) from the environment, or `fallback`. */
function envWhole(name: string, fallback: number, unit = "milliseconds"): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a whole number of ${unit} >= 0`);
  return value;
}
// Load before the window opens, after every caller has started.
const WARM_UP_MS = envWhole("BENCH_CORE_WARM_UP_MS", 3_000);
// A core in service has taken calls for days: its code is compiled. A fresh one is not — 10 s into
// its first load V8's compiler threads still took ~9% of its CPU (perf, 2026-12-03), and at 10
// calls the per-reply code runs twenty times less often, so it stays slow for minutes (10 calls:
// 4.2 ms per call-second 3 s in, 3.4 after 20 s, 2.9 after 120 s). So every step's process first
// takes PRIME_CALLS calls for PRIME_MS, which hang up before the step's own calls start: each step
// then measures the same warm process whatever its number of calls. BENCH_CORE_PRIME_MS=0
// measures fresh processes, as the results before 2026-12-04 did.
const PRIME_CALLS = 200;
const PRIME_MS = envWhole("BENCH_CORE_PRIME_MS", 20_000);
// This machine's host sometimes takes a quarter to three quarters of it for minutes (2026-12-07:
// steal 16-76%, the core's CPU not run 9-40% of the time). A step in which the host did not run
// one of the CPUs for more than BENCH_CORE_MAX_STEAL_PCT % of the window is measured again.
const MAX_STEAL = envWhole("BENCH_CORE_MAX_STEAL_PCT", 2, "percent") / 100;
const STEAL_RETRIES = envWhole("BENCH_CORE_STEAL_RETRIES", 3, "retries");
/** Steps measured again because of the host (all of a run's). */
let measuredAgain = 0;

type TCaller = {
  socket: Socket;
  speakLeft: number;
  startAt: number;
  pauseMs: number;
  speechEndAt: number;
  waiting: boolean;
  lastAudibleAt: number;
  heardAt: number;
  quietSince: number;
};

/** A reply heard inside the window: the caller's call, when its speech ended and when it heard the agent (monotonic ms). */
type THeardReply = { uuid: string; speechEndAt: number; heardAt: number };
// performance.now() counts from this process's start on the machine's monotonic clock; the stubs
// stamp their answers on that clock itself (process.hrtime), so the offset puts both on one.
const MONOTONIC_OFFSET_MS = Number(process.hrtime.bigint()) / 1e6 - performance.now();

/** Runs `n` callers for `windowMs`; returns the added latencies observed (ms) and the replies they come from. */
async function runCalls(core: { http: string; audioSocketPort: number }, n: number, windowMs: number, onWindowStart: () => void) {
  seed = SEED;
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const open = () =>
    new Promise<string>((resolve, reject) => {
      const body = "agent=bench&number=1000&caller=15550100";
      const req = request(`${core.http}/calls?token=${TOKEN}`, {
        method: "POST",
        agent,
        headers: { "content-type": "application/x-www-form-urlencoded", "content-length": Buffer.byteLength(body) },
      });
      req.on("response", (res) => {
        let text = "";
        res.on("data", (d: Buffer) => {
          text += d.toString();
        });
        res.on("end", () => (/^[0-9a-f-]{36}$/.test(text) ? resolve(text) : reject(new Error(`refused: ${text}`))));
      });
      req.on("error", reject);
      req.end(body);
    });

  const callers: TCaller[] = [];
  const latencies: number[] = [];
  const heard: THeardReply[] = [];
  let measuring = false;
  // Ramp up 50 calls at a time so opening calls does not disturb the ones already running.
  for (let i = 0; i < n; i += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, n - i) }, async () => {
        const uuid = await open();
        const socket = connect(core.audioSocketPort, "127.0.0.1");
        await new Promise((r) => socket.once("connect", r));
        socket.setNoDelay(true);
        socket.write(encodeUuid(uuid));
        const c: TCaller = {
          socket,
          speakLeft: speechFrames(),
          startAt: performance.now() + random() * START_SPREAD_MS,
          pauseMs: pauseMs(),
          speechEndAt: 0,
          waiting: false,
          lastAudibleAt: 0,
          heardAt: 0,
          quietSince: 0,
        };
        const decoder = new FrameDecoder();
        socket.on("data", (chunk: Buffer) => {
          const now = performance.now();
          for (const f of decoder.push(chunk)) {
            if (f.kind !== "audio") continue;
            const loud = Math.abs(f.pcm.readInt16LE(0)) >= 1_000;
            if (loud) {
              c.lastAudibleAt = now;
              if (c.waiting && c.heardAt === 0) {
                c.heardAt = now;
                if (measuring) {
                  latencies.push(now - c.speechEndAt - PROVIDERS_MS);
                  heard.push({ uuid, speechEndAt: c.speechEndAt + MONOTONIC_OFFSET_MS, heardAt: now + MONOTONIC_OFFSET_MS });
                }
              }
            }
          }
        });
        socket.on("error", () => {});
        callers.push(c);
      }),
    );
  }

  // Asterisk sends each channel's frames on that channel's own 20 ms clock, so channels are
  // spread over the 20 ms; the load generator models that with 10 phase slots of 2 ms (one
  // grid for all callers, still light) instead of sending every caller's frame in one burst.
  const SLOTS = 10;
  const start = performance.now();
  let tick = 0;
  let running = true;
  const pace = () => {
    if (!running) return;
    const now = performance.now();
    const slot = tick % SLOTS;
    for (let i = slot; i < callers.length; i += SLOTS) {
      const c = callers[i] as TCaller;
      if (now < c.startAt) {
        c.socket.write(encodeAudio(SILENCE));
        continue;
      }
      if (c.speakLeft > 0) {
        c.socket.write(encodeAudio(SPEECH));
        c.speakLeft--;
        continue;
      }
      c.socket.write(encodeAudio(SILENCE));
      if (!c.waiting) {
        // This silent frame ends the caller's speech.
        c.waiting = true;
        c.speechEndAt = now;
        c.heardAt = 0;
      } else if (c.heardAt > 0 && now - c.lastAudibleAt > c.pauseMs) {
        c.waiting = false;
        c.speakLeft = speechFrames(); // the agent finished: speak again
        c.pauseMs = pauseMs();
      } else if (c.heardAt === 0 && now - c.speechEndAt > 5_000) {
        c.waiting = false; // no answer: try again
        c.speakLeft = speechFrames();
      }
    }
    tick++;
    setTimeout(pace, Math.max(0, start + tick * (20 / SLOTS) - performance.now()));
  };
  pace();
  await new Promise((r) => setTimeout(r, START_SPREAD_MS + WARM_UP_MS)); // warm-up: see WARM_UP_MS
  measuring = true;
  onWindowStart();
  await new Promise((r) => setTimeout(r, windowMs));
  measuring = false;
  running = false;
  for (const c of callers) c.socket.end();
  await new Promise((r) => setTimeout(r, 500));
  agent.destroy();
  return { latencies, heard };
}

/**
 * Where each reply's added latency went, from the stubs' time stamps: how late the stubs' own
 * timers answered (CPU 0's share, which the core cannot change), what is left (the core, the
 * loopback and the callers' reading), and the four hops between the stubs' answers.
 */
function splitLatency(heard: THeardReply[], timeline: Record<string, TStubAnswer[]>, stalls?: TStall[]) {
  const stubsLate: number[] = [];
  const lessStubs: number[] = [];
  /** lessStubs of the replies that no stall of either CPU overlapped (see againstStalls). */
  const lessStubsClear: number[] = [];
  const hops = { callerToAsr: [] as number[], asrToLlm: [] as number[], llmToTts: [] as number[], ttsToCaller: [] as number[] };
  let unmatched = 0;
  for (const r of heard) {
    const answers = timeline[r.uuid] ?? [];
    // The first answer of each stub after the one before it, within the reply (0.1 ms of clock slack).
    const after = (kind: TStubAnswer["kind"], from: number) =>
      answers.find((a) => a.kind === kind && a.in >= from - 0.1 && a.out <= r.heardAt);
    const asr = after("asr", r.speechEndAt);
    const llm = asr && after("llm", asr.out);
    const tts = llm && after("tts", llm.out);
    if (!asr || !llm || !tts) {
      unmatched++;
      continue;
    }
    const late = asr.out - asr.in - STUB.asr + (llm.out - llm.in - STUB.llm) + (tts.out - tts.in - STUB.tts);
    stubsLate.push(late);
    lessStubs.push(r.heardAt - r.speechEndAt - PROVIDERS_MS - late);
    if (stalls && !overlaps(stalls, r.speechEndAt, r.heardAt)) lessStubsClear.push(r.heardAt - r.speechEndAt - PROVIDERS_MS - late);
    hops.callerToAsr.push(asr.in - r.speechEndAt);
    hops.asrToLlm.push(llm.in - asr.out);
    hops.llmToTts.push(tts.in - llm.out);
    hops.ttsToCaller.push(r.heardAt - tts.out);
  }
  return { stubsLate, lessStubs, lessStubsClear, hops, unmatched };
}

/** The core's metrics, read once a second through the window (monotonic ms). */
type TSample = { at: number; metrics: Record<string, number> };

const overlaps = (stalls: TStall[], from: number, to: number) => stalls.some((st) => st.at < to && st.at + st.ms > from);

/**
 * The core's pacer against the stalls of its own CPU (its clock probe, under SCHED_FIFO, woke
 * STALL_MS or more late: the host did not run that CPU, whatever the core was doing). Per second
 * of the window, from the core's metrics read once a second: a second that holds a stall counts
 * all its late frames as the stall's; jitter is also given over the seconds clear of any.
 */
function againstStalls(samples: TSample[], stalls: TStall[]) {
  let late = 0;
  let inStalls = 0;
  let clearSeconds = 0;
  const clear = { cumulative: LATENESS_BUCKETS_MS.map(() => 0), count: 0 };
  for (let i = 1; i < samples.length; i++) {
    const [from, to] = [samples[i - 1] as TSample, samples[i] as TSample];
    const moved = (to.metrics.dsai_frames_late_total ?? 0) - (from.metrics.dsai_frames_late_total ?? 0);
    late += moved;
    if (overlaps(stalls, from.at, to.at)) inStalls += moved;
    else {
      clearSeconds++;
      const h = histogramWindow("dsai_pacer_jitter_ms", from.metrics, to.metrics);
      h.cumulative.forEach((c, b) => {
        clear.cumulative[b] = (clear.cumulative[b] as number) + c;
      });
      clear.count += h.count;
    }
  }
  return {
    seconds: Math.max(0, samples.length - 1),
    clearSeconds,
    late,
    lateInStalls: inStalls,
    jitterP99Clear: clear.count > 0 ? bucketBound(LATENESS_BUCKETS_MS, clear.cumulative, clear.count, 0.99) : Number.NaN,
    jitterUnder2Clear: clear.count > 0 ? (clear.cumulative[LATENESS_BUCKETS_MS.indexOf(2)] ?? 0) / clear.count : Number.NaN,
  };
}

/** What the probes saw in a window: the clock on the core's CPU, the stalls, the pacer against them. */
function machineClock(reports: TProbeReport[], samples: TSample[], how: string) {
  const [cpu0, coreCpu] = reports as [TProbeReport, TProbeReport];
  let sum = 0;
  const cumulative = LATENESS_BUCKETS_MS.map((_, b) => (sum += coreCpu.jitter[b] as number));
  return {
    /** How the probes' threads ran (SCHED_FIFO unless told or refused otherwise). */
    how,
    clockJitterP99: bucketBound(LATENESS_BUCKETS_MS, cumulative, coreCpu.intervals, 0.99),
    clockJitterUnder2: (cumulative[LATENESS_BUCKETS_MS.indexOf(2)] ?? 0) / Math.max(1, coreCpu.intervals),
    cpu0Stalls: cpu0.stalls.length,
    coreCpuStalls: coreCpu.stalls.length,
    pacer: againstStalls(samples, coreCpu.stalls),
  };
}

/** One step's figures: a core under N calls for one window. */
type TStep = {
  calls: number;
  /** Share of the window in which the host did not run the CPU it ran least (its steal time). */
  hostSteal: number;
  /**
   * The machine's clock beside the step (the probes, when the step ran them): the probe on the
   * core's CPU (its jitter: the floor of the pacer's), the stalls of both CPUs, and the core's
   * pacer against its CPU's stalls.
   */
  machine?: ReturnType<typeof machineClock>;
  latencies: number[];
  split: ReturnType<typeof splitLatency>;
  lateFraction: number;
  cpuMsPerCallSecond: number;
  userMsPerCallSecond: number;
  systemMsPerCallSecond: number;
  rssMiBPerCall: number;
  jitterP99: number;
  jitterUnder2: number;
  latenessP99: number;
};

/** A started process under test (a core, or the floor): where its callers connect. */
type TUnderTest = { http: string; audioSocketPort: number; pid: number };

/** Runs `fn` against a started process, then stops it and waits for its exit. */
async function against<T>(child: ChildProcess, httpPort: number, audioSocketPort: number, fn: (p: TUnderTest) => Promise<T>): Promise<T> {
  try {
    return await fn({ http: `http://127.0.0.1:${httpPort}`, audioSocketPort, pid: child.pid as number });
  } finally {
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await exited;
  }
}

async function main(): Promise<void> {
  // Every thread of this process (and what it starts from now on: Postgres, the stubs) on CPU 0.
  if (PINNED) execFileSync("taskset", ["-a", "-c", "-p", "0", String(process.pid)], { stdio: "ignore" });
  const pgServer = await startTestServer();
  const licenseDb = await createTestDatabase(pgServer.adminUrl, "license");
  await applyMigrations({ url: licenseDb.url, migrationsDir: LICENSE_MIGRATIONS_DIR });
  const license = createLicenseServer({
    databaseUrl: licenseDb.url,
    host: "127.0.0.1",
    port: 0,
    adminToken: undefined,
    reservationTtlSeconds: 3_600,
    rateLimit: { perSecond: 100_000, burst: 100_000 },
    poolSize: 10,
  });
  await license.start();
  const created = await license.admin.createLicense({ name: "bench", seconds: 100_000_000 });
  const key = await license.admin.issueKey({ licenseId: created.id });
  const stubs = await spawnUntil(
    ["bench/core-stubs.ts"],
    { STUB_ASR_MS: String(STUB.asr), STUB_LLM_MS: String(STUB.llm), STUB_TTS_MS: String(STUB.tts) },
    /stubs on/,
  );
  type TOthersCpu = { callers: number; stubs: number; machine: number; steal: number; coreCpuSteal: number };
  /**
   * CPU time (ms) of the load generator (this process), the stubs and the whole machine, to tell a
   * busy core from a busy machine; and the time the hypervisor did not run the core's CPU (its
   * steal, which the guest kernel counts per CPU): a stretch of it stops the core whatever it does.
   */
  const othersCpu = (): TOthersCpu => {
    const usage = process.cpuUsage();
    const lines = readFileSync("/proc/stat", "utf8").split("\n");
    const fields = (line: string | undefined) => (line ?? "").split(/\s+/).slice(1).map(Number);
    const [user, nice, system, , , irq, softirq, steal] = fields(lines[0]) as number[];
    const coreCpu = fields(lines.find((l) => l.startsWith(`cpu${CORE_CPUS ?? ""} `)));
    return {
      callers: (usage.user + usage.system) / 1000,
      stubs: cpuMs(stubs.child.pid as number),
      machine: (((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) * 1000) / 100,
      steal: ((steal ?? 0) * 1000) / 100,
      coreCpuSteal: ((coreCpu[7] ?? 0) * 1000) / 100,
    };
  };
  const bundleDir = mkdtempSync(join(tmpdir(), "bench-core-"));
  const entries = {
    core: await coreEntry(ROOT, FROM_SOURCES, bundleDir, "core"),
    baseline: BASELINE ? await coreEntry(BASELINE, BASELINE_FROM_SOURCES, bundleDir, "baseline") : undefined,
  };
  process.stdout.write(
    `bench:core runs this core from ${entries.core.how}${entries.baseline ? `, the baseline from ${entries.baseline.how}` : ""}\n`,
  );
  const stubUrl = `http://127.0.0.1:${/stubs on (\d+)/.exec(stubs.line)?.[1]}`;

  /** A fresh core process (and tenant database) per step, so each step's metrics are its own. */
  async function withCore<T>(step: string, fn: (core: TUnderTest) => Promise<T>, entry = entries.core): Promise<T> {
    const tenant = await createTestDatabase(pgServer.adminUrl, `tenant_${step}`);
    await migrateTenantDatabase(tenant.url);
    const db = new pg.Client({ connectionString: tenant.url });
    db.on("error", () => {});
    await db.connect();
    const ids = [];
    for (const kind of ["asr", "llm", "tts"]) {
      ids.push(
        (
          await db.query(
            'INSERT INTO provider_profile (id, name, kind, url) VALUES (gen_random_uuid(), $1, $2::"ProviderKind", $3) RETURNING id',
            [kind, kind, stubUrl],
          )
        ).rows[0].id,
      );
    }
    await db.query(
      "INSERT INTO agent (id, name, asr_profile_id, llm_profile_id, tts_profile_id) VALUES ('bench', 'Bench', $1, $2, $3)",
      ids,
    );
    await db.end();
    const [httpPort, audioSocketPort] = [await freePort(), await freePort()];
    const { child } = await spawnUntil(
      // BENCH_CORE_NODE_ARGS: node flags for the core process only, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"
      [...(process.env.BENCH_CORE_NODE_ARGS?.split(" ").filter(Boolean) ?? []), entry.main],
      {
        ...entry.env,
        CORE_DATABASE_URL: tenant.url,
        CORE_HTTP_PORT: String(httpPort),
        CORE_AUDIOSOCKET_PORT: String(audioSocketPort),
        CORE_TENANT_TOKEN: TOKEN,
        CORE_LICENSE_URL: license.url,
        CORE_LICENSE_ID: created.id,
        CORE_LICENSE_KEY: key.token,
        // The stub providers are a URL-type profile on loopback, which a core refuses by default.
        CORE_PROVIDERS_ALLOW_INTERNAL: "true",
      },
      /core: HTTP on/,
      CORE_CPUS,
      // BENCH_CORE_NODE: another Node.js for the core only (e.g. a newer release), for comparison.
      process.env.BENCH_CORE_NODE,
    );
    try {
      return await against(child, httpPort, audioSocketPort, fn);
    } finally {
      await tenant.close();
    }
  }

  /**
   * A floor on the core's CPU, for a step's callers: bench/audiosocket-echo.ts (a read and a write
   * per inbound frame on the event loop), or bench/audiosocket-echo-polled.ts (the core's pacer and
   * polled connections, nothing else).
   */
  async function withEcho<T>(script: string, fn: (core: TUnderTest) => Promise<T>): Promise<T> {
    const [httpPort, audioSocketPort] = [await freePort(), await freePort()];
    const { child } = await spawnUntil(
      [script],
      { ECHO_HTTP_PORT: String(httpPort), ECHO_AUDIOSOCKET_PORT: String(audioSocketPort) },
      /echo: HTTP on/,
      CORE_CPUS,
    );
    return against(child, httpPort, audioSocketPort, fn);
  }

  /**
   * The machine's clock for one step: a clock probe (bench/clock-probe.ts) on each CPU, started
   * after the priming (their start-up is not the window's) and stopped with the step. Only where
   * the CPUs are split: on one CPU a probe would be measuring the core.
   */
  async function startProbes() {
    if (!PINNED) return undefined;
    const probes = await Promise.all(
      ["0", CORE_CPUS].map((cpu) => spawnUntil(["bench/clock-probe.ts"], { PROBE_STALL_MS: String(STALL_MS) }, /clock probe on/, cpu)),
    );
    const urls = probes.map((p) => `http://127.0.0.1:${/clock probe on (\d+)/.exec(p.line)?.[1]}`);
    return {
      how: /clock probe on \d+, (.*)/.exec(probes[0]?.line ?? "")?.[1]?.trim() ?? "",
      /** What each probe saw since the last report: [CPU 0, the core's CPU]. */
      report: () => Promise.all(urls.map(async (u) => (await (await fetch(`${u}/report`)).json()) as TProbeReport)),
      stop: () =>
        Promise.all(probes.map((p) => (p.child.exitCode !== null ? undefined : new Promise((r) => p.child.once("exit", r).kill())))),
    };
  }

  /** What a step measures: this core, the baseline checkout's, or a floor (a bare echo, or the polled one). */
  type TUnder = "core" | "baseline" | "floor" | "polled-floor";
  const isFloor = (under: TUnder) => under === "floor" || under === "polled-floor";
  /**
   * One step, measured again (a fresh process each time) while the host took more than
   * MAX_STEAL of a CPU in its window, at most STEAL_RETRIES times: the host's share is no figure
   * of the core's. The criterion is the host's (`/proc/stat`), never the core's figures, and the
   * last attempt is kept whatever its steal; the results count the steps measured again.
   * `probes`: run the machine's clock beside the step (the tails' runs; never the CPU figures at
   * 10 calls, which the probes' wake-ups would lower).
   */
  async function step(n: number, windowMs: number, under: TUnder = "core", probes = false): Promise<TStep> {
    const label = under === "core" ? `bench:core ${n} calls` : `bench:core [${under}] ${n} calls`;
    for (let attempt = 1; ; attempt++) {
      const result = await stepOnce(label, n, windowMs, under, probes);
      if (result.hostSteal <= MAX_STEAL || attempt > STEAL_RETRIES) return result;
      measuredAgain++;
      process.stdout.write(
        `${label}: the host did not run a CPU of this machine ${(result.hostSteal * 100).toFixed(1)}% of the window (over ${MAX_STEAL * 100}%): measured again (${attempt} of ${STEAL_RETRIES})\n`,
      );
    }
  }

  async function stepOnce(label: string, n: number, windowMs: number, under: TUnder, probes: boolean): Promise<TStep> {
    process.stdout.write(`${label}: ramping up, then ${windowMs / 1000} s measured ...\n`);
    const run = (fn: (core: TUnderTest) => Promise<TStep>) =>
      under === "floor"
        ? withEcho("bench/audiosocket-echo.ts", fn)
        : under === "polled-floor"
          ? withEcho("bench/audiosocket-echo-polled.ts", fn)
          : withCore(String(n), fn, under === "baseline" ? entries.baseline : undefined);
    return run(async (core) => {
      // Against the fresh process: what priming left in its heap counts as the calls' (an upper bound).
      const idleRss = rssMiB(core.pid);
      if (PRIME_MS > 0) {
        process.stdout.write(`${label}: priming with ${PRIME_CALLS} calls for ${PRIME_MS / 1000} s ...\n`);
        await runCalls(core, PRIME_CALLS, PRIME_MS, () => {});
      }
      const clock = probes ? await startProbes() : undefined;
      try {
        return await measure(core, idleRss, clock);
      } finally {
        await clock?.stop();
      }
    });

    async function measure(core: TUnderTest, idleRss: number, clock: Awaited<ReturnType<typeof startProbes>>): Promise<TStep> {
      let before = { cpu: cpuTimes(core.pid), metrics: {} as Record<string, number>, at: 0, others: othersCpu(), coreWait: 0 };
      const samples: TSample[] = [];
      let sampler: NodeJS.Timeout | undefined;
      const sample = async () => {
        const askedAt = performance.now();
        const metrics = await scrape(core.http);
        samples.push({ at: (askedAt + performance.now()) / 2 + MONOTONIC_OFFSET_MS, metrics });
      };
      const { latencies, heard } = await runCalls(core, n, windowMs, () => {
        void scrape(core.http).then((metrics) => {
          before = { cpu: cpuTimes(core.pid), metrics, at: performance.now(), others: othersCpu(), coreWait: runQueueWaitMs(core.pid) };
        });
        // What the probes saw before the window is not the window's.
        if (clock) {
          void clock.report();
          void sample();
          sampler = setInterval(() => void sample(), 1_000);
        }
      });
      clearInterval(sampler);
      const reports = clock ? await clock.report() : undefined;
      if (clock) await sample();
      const timeline = (await (await fetch(`${stubUrl}/timeline`)).json()) as Record<string, TStubAnswer[]>;
      // Memory while the calls still run (the window ends with them in progress).
      const loadedRss = rssMiB(core.pid);
      const after = { cpu: cpuTimes(core.pid), metrics: await scrape(core.http), at: performance.now(), others: othersCpu() };
      const seconds = (after.at - before.at) / 1000;
      const perCallSecond = (k: "user" | "system") => (after.cpu[k] - before.cpu[k]) / (n * seconds);
      const coreMsPerSecond = (after.cpu.user + after.cpu.system - before.cpu.user - before.cpu.system) / seconds;
      const waited = ((runQueueWaitMs(core.pid) - before.coreWait) / (after.at - before.at)) * 100;
      const share = (k: keyof TOthersCpu) => ((after.others[k] - before.others[k]) / (after.at - before.at)) * 100;
      process.stdout.write(
        `${label}: core ${(coreMsPerSecond / 10).toFixed(1)}% of a CPU${PINNED ? " (alone on CPU 1)" : ""}, ` +
          `callers ${share("callers").toFixed(0)}%, stubs ${share("stubs").toFixed(0)}%, machine busy ${share("machine").toFixed(0)}% of ${cpus().length * 100}% (steal ${share("steal").toFixed(0)}%; the core's CPU not run by the host ${share("coreCpuSteal").toFixed(1)}% of the time); ` +
          `the core's event loop waited for a CPU ${waited.toFixed(1)}% of the time\n`,
      );
      const moved = (counter: string) => (after.metrics[counter] ?? 0) - (before.metrics[counter] ?? 0);
      const sent = moved("dsai_frames_sent_total");
      const late = moved("dsai_frames_late_total");
      const coreCpuSteal = share("coreCpuSteal") / 100;
      const result = {
        calls: n,
        // The CPU the host ran least: the core's, or (pinned) the other one.
        hostSteal: PINNED
          ? Math.max(coreCpuSteal, (share("steal") / 100 - coreCpuSteal) / (cpus().length - 1))
          : share("steal") / 100 / cpus().length,
        machine: reports && clock && machineClock(reports, samples, clock.how),
        latencies,
        split: splitLatency(
          heard,
          timeline,
          reports?.flatMap((r) => r.stalls),
        ),
        lateFraction: sent > 0 ? late / sent : 1,
        cpuMsPerCallSecond: perCallSecond("user") + perCallSecond("system"),
        userMsPerCallSecond: perCallSecond("user"),
        systemMsPerCallSecond: perCallSecond("system"),
        rssMiBPerCall: (loadedRss - idleRss) / n,
        jitterP99: histogramP99("dsai_pacer_jitter_ms", before.metrics, after.metrics),
        jitterUnder2: histogramShareUnder("dsai_pacer_jitter_ms", 2, before.metrics, after.metrics),
        latenessP99: histogramP99("dsai_pacer_lateness_ms", before.metrics, after.metrics),
      };
      if (result.machine && clock) {
        const { machine } = result;
        const stalls1 = reports?.[1]?.stalls ?? [];
        const paced = under !== "floor"; // the bare echo has no pacer
        process.stdout.write(
          `${label}: the machine's clock (probes ${clock.how}): on the core's CPU jitter p99 <= ${machine.clockJitterP99} ms (${(machine.clockJitterUnder2 * 100).toFixed(2)}% <= 2 ms); ` +
            `stalls of ${STALL_MS} ms or more: the core's CPU ${stalls1.length} (longest ${Math.max(0, ...stalls1.map((x) => x.ms)).toFixed(1)} ms), CPU 0 ${machine.cpu0Stalls}` +
            (paced
              ? `; of the pacer's ${machine.pacer.late} late frames ${machine.pacer.lateInStalls} came in seconds that held a stall of its CPU; in the ${machine.pacer.clearSeconds} of ${machine.pacer.seconds} seconds clear of one, its jitter p99 <= ${machine.pacer.jitterP99Clear} ms (${(machine.pacer.jitterUnder2Clear * 100).toFixed(2)}% <= 2 ms)`
              : "") +
            (isFloor(under)
              ? ""
              : `; the replies no stall of either CPU overlapped: added latency p99 ${result.split.lessStubsClear.length > 0 ? `${percentile(result.split.lessStubsClear, 99).toFixed(1)} ms` : "(none)"} (${result.split.lessStubsClear.length} of ${result.split.lessStubs.length} replies)`) +
            "\n",
        );
      }
      // A floor answers nothing: its CPU, and the polled floor's pacer (no pipeline behind it).
      if (isFloor(under)) {
        const pacer =
          under === "polled-floor"
            ? `; its pacer: jitter p99 <= ${result.jitterP99} ms (${(result.jitterUnder2 * 100).toFixed(2)}% <= 2 ms), late frames ${(result.lateFraction * 100).toFixed(2)}%`
            : "";
        process.stdout.write(
          `${label}: CPU ${result.cpuMsPerCallSecond.toFixed(2)} ms per call-second (user ${result.userMsPerCallSecond.toFixed(2)}, system ${result.systemMsPerCallSecond.toFixed(2)})${pacer}\n`,
        );
        return result;
      }
      const { split } = result;
      const p99 = (xs: number[]) => percentile(xs, 99).toFixed(1);
      const hop = (xs: number[]) => `${median(xs).toFixed(1)} / ${p99(xs)}`;
      process.stdout.write(
        `${label}: where the latency went — the stubs' timers answered late by p50 ${median(split.stubsLate).toFixed(1)} p99 ${p99(split.stubsLate)} ms; ` +
          `added latency without that p50 ${median(split.lessStubs).toFixed(1)} p99 ${p99(split.lessStubs)} ms; hops p50 / p99: caller to ASR ${hop(split.hops.callerToAsr)}, ` +
          `ASR to LLM ${hop(split.hops.asrToLlm)}, LLM to TTS ${hop(split.hops.llmToTts)}, TTS to caller ${hop(split.hops.ttsToCaller)} ms (${split.unmatched} replies unmatched)\n`,
      );
      process.stdout.write(
        `${label}: ${latencies.length} replies, added latency p50 ${median(latencies).toFixed(1)} ms p99 ${percentile(latencies, 99).toFixed(1)} ms, ` +
          `late frames ${(result.lateFraction * 100).toFixed(2)}%, jitter p99 <= ${result.jitterP99} ms (${(result.jitterUnder2 * 100).toFixed(2)}% <= 2 ms), lateness p99 <= ${result.latenessP99} ms, CPU ${result.cpuMsPerCallSecond.toFixed(2)} ms per call-second (user ${result.userMsPerCallSecond.toFixed(2)}, system ${result.systemMsPerCallSecond.toFixed(2)}), RSS ${result.rssMiBPerCall.toFixed(3)} MiB per call; ` +
          `replies started at once: ${moved("dsai_pacer_early_starts_total")}, empty reads: ${moved("dsai_pacer_empty_reads_total")} of ${moved("dsai_pacer_reads_total")}, calls moved for replies (cores before 8da83bc): ${moved("dsai_pacer_rephases_total")}\n`,
      );
      return result;
    }
  }

  try {
    if (process.env.BENCH_CORE_CALLS) {
      // One step only, nothing written: for trying a change quickly (BENCH_CORE_CALLS=300;
      // BENCH_CORE_UNDER=floor or baseline measures that instead of this core), with the clock
      // probes beside it unless BENCH_CORE_PROBES=0.
      const asked = process.env.BENCH_CORE_UNDER;
      const under: TUnder = asked === "floor" || asked === "polled-floor" || asked === "baseline" ? asked : "core";
      await step(
        Number(process.env.BENCH_CORE_CALLS),
        Number(process.env.BENCH_CORE_WINDOW_MS ?? SWEEP_WINDOW_MS),
        under,
        process.env.BENCH_CORE_PROBES !== "0",
      );
      return;
    }
    // The figures at 200 calls are medians of LATENCY_RUNS runs, each with a fresh core: one run
    // on this shared machine can land anywhere in a wide band.
    const runs: TStep[] = [];
    const baseRuns: TStep[] = [];
    for (let r = 0; r < LATENCY_RUNS; r++) {
      runs.push(await step(LATENCY_CALLS, LATENCY_WINDOW_MS, "core", true));
      if (BASELINE) baseRuns.push(await step(LATENCY_CALLS, LATENCY_WINDOW_MS, "baseline", true));
    }
    const mid = (f: (x: TStep) => number) => median(runs.map(f));
    const at200 = {
      addedP50: mid((x) => median(x.split.lessStubs)),
      addedP99: mid((x) => percentile(x.split.lessStubs, 99)),
      endToEndP50: mid((x) => median(x.latencies)),
      endToEndP99: mid((x) => percentile(x.latencies, 99)),
      stubsLateP99: mid((x) => percentile(x.split.stubsLate, 99)),
      hopsP99: Object.fromEntries(
        (["callerToAsr", "asrToLlm", "llmToTts", "ttsToCaller"] as const).map((k) => [k, mid((x) => percentile(x.split.hops[k], 99))]),
      ),
      jitterP99: mid((x) => x.jitterP99),
      jitterUnder2: mid((x) => x.jitterUnder2),
      latenessP99: mid((x) => x.latenessP99),
      cpuMsPerCallSecond: mid((x) => x.cpuMsPerCallSecond),
      userMsPerCallSecond: mid((x) => x.userMsPerCallSecond),
      systemMsPerCallSecond: mid((x) => x.systemMsPerCallSecond),
      rssMiBPerCall: mid((x) => x.rssMiBPerCall),
      lateFraction: mid((x) => x.lateFraction),
      replies: mid((x) => x.latencies.length),
      machine: machineMedians(runs),
    };
    process.stdout.write(
      `bench:core ${LATENCY_CALLS} calls, median of ${LATENCY_RUNS} runs: added latency p50 ${at200.addedP50.toFixed(1)} ms p99 ${at200.addedP99.toFixed(1)} ms (end to end, with the stubs' lateness: p99 ${at200.endToEndP99.toFixed(1)} ms), jitter p99 <= ${at200.jitterP99} ms, late frames ${(at200.lateFraction * 100).toFixed(2)}%\n`,
    );
    // The fixed cost of a call shows at few calls.
    const at10: TStep[] = [];
    const baseAt10: TStep[] = [];
    for (let r = 0; r < LATENCY_RUNS; r++) {
      at10.push(await step(10, LATENCY_WINDOW_MS));
      if (BASELINE) baseAt10.push(await step(10, LATENCY_WINDOW_MS, "baseline"));
    }
    const cpuAt10 = median(at10.map((x) => x.cpuMsPerCallSecond));
    const baseline = BASELINE
      ? baselineMetrics(BASELINE, entries.baseline?.how ?? "", baseRuns, baseAt10, at200.cpuMsPerCallSecond, cpuAt10)
      : {};
    // The floor: what Node and this machine cost for one read and one write per frame, under the
    // same callers on the same CPU — the part of the core's figure no change to the core removes.
    // The polled floor: the same for the core's own way of doing I/O (the pacer and polled
    // connections), which the core can go below the first floor with.
    const floor = { at200: [] as number[], at10: [] as number[] };
    const polledFloor = { at200: [] as number[], at10: [] as number[] };
    // The polled floor's pacer at 200 calls, beside the machine's clock: the jitter of the pacer
    // with no pipeline behind it, and of a clock with nothing at all.
    const polledFloorSteps: TStep[] = [];
    for (let r = 0; r < LATENCY_RUNS; r++) {
      floor.at200.push((await step(LATENCY_CALLS, SWEEP_WINDOW_MS, "floor", true)).cpuMsPerCallSecond);
      polledFloorSteps.push(await step(LATENCY_CALLS, SWEEP_WINDOW_MS, "polled-floor", true));
      polledFloor.at200.push((polledFloorSteps.at(-1) as TStep).cpuMsPerCallSecond);
      floor.at10.push((await step(10, SWEEP_WINDOW_MS, "floor")).cpuMsPerCallSecond);
      polledFloor.at10.push((await step(10, SWEEP_WINDOW_MS, "polled-floor")).cpuMsPerCallSecond);
    }
    const floorUnit =
      "ms (a bare AudioSocket echo in Node on the core's CPU: one read and one write per inbound frame on the event loop, nothing else; same callers)";
    const polledFloorUnit =
      "ms (an AudioSocket echo through the core's pacer and polled connections on the core's CPU: one read and one write per call per 20 ms turn, nothing else; same callers)";
    process.stdout.write(
      `bench:core the floors: bare echo ${round(median(floor.at200))}, polled echo ${round(median(polledFloor.at200))} ms per call-second at ${LATENCY_CALLS} calls (the core ${round(at200.cpuMsPerCallSecond)}); bare ${round(median(floor.at10))}, polled ${round(median(polledFloor.at10))} at 10 calls (the core ${round(cpuAt10)})\n`,
    );
    // Up from 200 while under 1% late; down from 200 when 200 is already over.
    let maxUnder1 = 0;
    if (at200.lateFraction < 0.01) {
      maxUnder1 = LATENCY_CALLS;
      for (const n of SWEEP) {
        if ((await step(n, SWEEP_WINDOW_MS)).lateFraction >= 0.01) break;
        maxUnder1 = n;
      }
    } else {
      for (const n of SWEEP_DOWN) {
        if ((await step(n, SWEEP_WINDOW_MS)).lateFraction < 0.01) {
          maxUnder1 = n;
          break;
        }
      }
    }
    const file = writeResult(
      "core",
      {
        added_latency_p50_ms: { value: round(at200.addedP50), unit: LESS_STUBS_UNIT },
        added_latency_p99_ms: { value: round(at200.addedP99), unit: LESS_STUBS_UNIT, target: "<= 10" },
        added_latency_end_to_end_p50_ms: { value: round(at200.endToEndP50), unit: END_TO_END_UNIT },
        added_latency_end_to_end_p99_ms: { value: round(at200.endToEndP99), unit: END_TO_END_UNIT },
        stubs_late_p99_ms: {
          value: round(at200.stubsLateP99),
          unit: "ms (how late the three stubs' timers answered one reply, summed; CPU 0's)",
        },
        ...Object.fromEntries(
          Object.entries(at200.hopsP99).map(([k, v]) => [`hop_${k}_p99_ms`, { value: round(v), unit: HOP_UNITS[k] ?? "ms" }]),
        ),
        jitter_p99_ms: {
          value: at200.jitterP99,
          unit: "ms (histogram bucket bound): |interval between a call's frames - 20 ms|",
          target: "<= 2",
        },
        jitter_within_2ms: { value: round(at200.jitterUnder2 * 100), unit: "% of intervals" },
        lateness_p99_ms: { value: at200.latenessP99, unit: "ms (histogram bucket bound): frame sent - due on the grid" },
        cpu_ms_per_call_second: { value: round(at200.cpuMsPerCallSecond), unit: "ms", target: "<= 1.5" },
        cpu_user_ms_per_call_second: { value: round(at200.userMsPerCallSecond), unit: "ms" },
        cpu_system_ms_per_call_second: { value: round(at200.systemMsPerCallSecond), unit: "ms" },
        cpu_ms_per_call_second_at_10: { value: round(cpuAt10), unit: "ms", target: "<= 3" },
        rss_mib_per_call: { value: Math.round(at200.rssMiBPerCall * 1000) / 1000, unit: "MiB", target: "<= 1" },
        max_calls_under_1pct_late: { value: maxUnder1, unit: "calls", target: ">= 500" },
        late_frames_at_200: { value: round(at200.lateFraction * 100), unit: "%" },
        ...machineResults(at200.machine, machineMedians(polledFloorSteps)),
        host_steal_at_200: {
          value: round(mid((x) => x.hostSteal) * 100),
          unit: "% of the window in which the host did not run the CPU it ran least (steal, /proc/stat), median of the 200-call runs",
        },
        steps_measured_again_for_the_host: {
          value: measuredAgain,
          unit: `steps of this run measured again because the host did not run a CPU over ${MAX_STEAL * 100}% of their window (at most ${STEAL_RETRIES} times a step; the last attempt is kept)`,
        },
        replies_measured_at_200: { value: at200.replies, unit: "replies per run" },
        floor_cpu_ms_per_call_second: { value: round(median(floor.at200)), unit: floorUnit },
        floor_cpu_ms_per_call_second_at_10: { value: round(median(floor.at10)), unit: floorUnit },
        polled_floor_cpu_ms_per_call_second: { value: round(median(polledFloor.at200)), unit: polledFloorUnit },
        polled_floor_cpu_ms_per_call_second_at_10: { value: round(median(polledFloor.at10)), unit: polledFloorUnit },
        ...baseline,
      },
      `one core process (${entries.core.how}) ${PINNED ? "pinned alone to CPU 1 (taskset -c 1); callers, stubs, License Service and Postgres pinned to CPU 0" : "sharing the only CPU with callers, stubs, License Service and Postgres (not pinned)"}; stubs (ASR ${STUB.asr} ms, LLM ${STUB.llm} ms, TTS ${STUB.tts} ms) in their own process; figures at ${LATENCY_CALLS} and at 10 calls over ${LATENCY_WINDOW_MS / 1000} s, medians of ${LATENCY_RUNS} runs, each with a fresh core${PRIME_MS > 0 ? ` primed with ${PRIME_CALLS} calls for ${PRIME_MS / 1000} s (hung up before the step)` : ""}; sweep steps of ${SWEEP_WINDOW_MS / 1000} s; a step in which the host did not run a CPU over ${MAX_STEAL * 100}% of its window is measured again (at most ${STEAL_RETRIES} times)${at200.machine ? `; clock probes on both CPUs beside the 200-call runs (${at200.machine.how})` : ""}`,
    );
    process.stdout.write(`bench:core wrote ${file}\n`);
  } finally {
    rmSync(bundleDir, { recursive: true, force: true });
    stubs.child.kill();
    await license.stop();
    await licenseDb.close();
    await pgServer.stop();
  }
}

const round = (v: number) => Math.round(v * 100) / 100;
const ratio = (part: number, whole: number) => part / Math.max(1, whole);

const END_TO_END_UNIT = "ms (first audible agent frame - end of the caller's speech - the stubs' 200 ms, as the caller saw it)";
const LESS_STUBS_UNIT = `${END_TO_END_UNIT.slice(0, -1)}, less how late the stubs' own timers answered that reply)`;
const HOP_UNITS: Record<string, string> = {
  callerToAsr: "ms (the caller sends its first quiet frame -> the ASR stub reads it: the core's read slot and its upload)",
  asrToLlm: "ms (the ASR stub's transcript written -> the LLM stub has the request)",
  llmToTts: "ms (the LLM stub's answer written -> the TTS stub has the request)",
  ttsToCaller: "ms (the TTS stub's audio written -> the caller hears the first frame: the core's outbound queue and pacer)",
};

/** Medians over runs of what the probes saw beside them; undefined where none ran (one CPU). */
function machineMedians(steps: TStep[]) {
  const withClock = steps.filter((x) => x.machine);
  if (withClock.length === 0) return undefined;
  type TMachine = NonNullable<TStep["machine"]>;
  const mid = (f: (m: TMachine, x: TStep) => number) => median(withClock.map((x) => f(x.machine as TMachine, x)));
  const sum = (f: (m: TMachine) => number) => withClock.reduce((a, x) => a + f(x.machine as TMachine), 0);
  return {
    how: withClock[0]?.machine?.how ?? "",
    clockJitterP99: mid((m) => m.clockJitterP99),
    clockJitterUnder2: mid((m) => m.clockJitterUnder2),
    coreCpuStalls: mid((m) => m.coreCpuStalls),
    cpu0Stalls: mid((m) => m.cpu0Stalls),
    lateInStalls: ratio(
      sum((m) => m.pacer.lateInStalls),
      sum((m) => m.pacer.late),
    ),
    clearSeconds: ratio(
      sum((m) => m.pacer.clearSeconds),
      sum((m) => m.pacer.seconds),
    ),
    pacerJitterP99: mid((_, x) => x.jitterP99),
    pacerJitterUnder2: mid((_, x) => x.jitterUnder2),
    jitterP99Clear: mid((m) => m.pacer.jitterP99Clear),
    jitterUnder2Clear: mid((m) => m.pacer.jitterUnder2Clear),
    addedP99Clear: mid((_, x) => (x.split.lessStubsClear.length > 0 ? percentile(x.split.lessStubsClear, 99) : Number.NaN)),
    repliesClear: mid((_, x) => x.split.lessStubsClear.length / Math.max(1, x.split.lessStubs.length)),
  };
}

/** The machine's figures of the results: beside the core's 200-call runs, and beside the polled floor's. */
function machineResults(core: ReturnType<typeof machineMedians>, polledFloor: ReturnType<typeof machineMedians>): Record<string, TMetric> {
  if (!core) return {};
  const probe = `bench/clock-probe.ts: a clock on a 2 ms grid on the CPU named, its thread ${core.how}`;
  const clear = `clear of stalls: in the seconds (read once a second) in which the probe on the core's CPU did not stall`;
  return {
    clock_jitter_p99_ms: {
      value: core.clockJitterP99,
      unit: `ms (histogram bucket bound): jitter_p99_ms's measure for a clock that does nothing, on the core's CPU beside the core (${probe}): this machine's floor under that figure`,
    },
    clock_jitter_within_2ms: { value: round(core.clockJitterUnder2 * 100), unit: "% of the clock's intervals (beside the core)" },
    stalls_of_the_core_cpu_at_200: {
      value: core.coreCpuStalls,
      unit: `per run of ${LATENCY_WINDOW_MS / 1000} s: the clock on the core's CPU woke ${STALL_MS} ms or more late (the host did not run that CPU)`,
    },
    stalls_of_cpu0_at_200: { value: core.cpu0Stalls, unit: `per run: the same on CPU 0 (callers, stubs, License Service, Postgres)` },
    late_frames_in_stalled_seconds_at_200: {
      value: round(core.lateInStalls * 100),
      unit: "% of the core's late frames (all runs) sent in a second that held a stall of its CPU",
    },
    seconds_clear_of_stalls_at_200: { value: round(core.clearSeconds * 100), unit: "% of the windows' seconds (all runs)" },
    jitter_p99_clear_of_stalls_ms: { value: core.jitterP99Clear, unit: `ms (histogram bucket bound), the core's pacer ${clear}` },
    jitter_within_2ms_clear_of_stalls: { value: round(core.jitterUnder2Clear * 100), unit: `% of the core's intervals ${clear}` },
    added_latency_p99_clear_of_stalls_ms: {
      value: round(core.addedP99Clear),
      unit: `${LESS_STUBS_UNIT.slice(0, -1)}; the replies that no stall of either CPU overlapped)`,
    },
    replies_clear_of_stalls: { value: round(core.repliesClear * 100), unit: "% of the replies measured (median of the runs)" },
    ...(polledFloor
      ? {
          polled_floor_jitter_p99_ms: {
            value: polledFloor.pacerJitterP99,
            unit: "ms (histogram bucket bound): the polled floor's pacer (no pipeline behind it) at 200 calls, medians of its runs",
          },
          polled_floor_jitter_within_2ms: { value: round(polledFloor.pacerJitterUnder2 * 100), unit: "% of the polled floor's intervals" },
          polled_floor_clock_jitter_within_2ms: {
            value: round(polledFloor.clockJitterUnder2 * 100),
            unit: "% of the clock's intervals beside the polled floor",
          },
        }
      : {}),
  };
}

/** The baseline's figures from the same run, and this core's CPU as a share of the baseline's. */
function baselineMetrics(dir: string, how: string, at200: TStep[], at10: TStep[], cpu200: number, cpu10: number) {
  const commit = execFileSync("git", ["-C", dir, "rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim();
  const mid = (runs: TStep[], f: (x: TStep) => number) => median(runs.map(f));
  const base200 = mid(at200, (x) => x.cpuMsPerCallSecond);
  const base10 = mid(at10, (x) => x.cpuMsPerCallSecond);
  const of = `baseline ${commit} from ${how}, same run, alternating with this core`;
  process.stdout.write(
    `bench:core beside the baseline (${commit}): CPU per call-second at 200 calls ${round(cpu200)} vs ${round(base200)} ms (${round(cpu200 / base200)}), at 10 calls ${round(cpu10)} vs ${round(base10)} ms (${round(cpu10 / base10)})\n`,
  );
  return {
    baseline_cpu_ms_per_call_second: { value: round(base200), unit: `ms (${of})` },
    baseline_cpu_ms_per_call_second_at_10: { value: round(base10), unit: `ms (${of})` },
    baseline_added_latency_p99_ms: {
      value: round(mid(at200, (x) => percentile(x.split.lessStubs, 99))),
      unit: `${LESS_STUBS_UNIT} (${of})`,
    },
    baseline_added_latency_end_to_end_p99_ms: {
      value: round(mid(at200, (x) => percentile(x.latencies, 99))),
      unit: `${END_TO_END_UNIT} (${of})`,
    },
    baseline_jitter_p99_ms: { value: mid(at200, (x) => x.jitterP99), unit: `ms (${of})` },
    baseline_late_frames_at_200: { value: round(mid(at200, (x) => x.lateFraction) * 100), unit: `% (${of})` },
    cpu_ratio_to_baseline: { value: round(cpu200 / base200), unit: "ratio at 200 calls (this core / baseline)" },
    cpu_ratio_to_baseline_at_10: { value: round(cpu10 / base10), unit: "ratio at 10 calls (this core / baseline)" },
  };
}

main().then(
  () => process.exit(0), // the pooled HTTP agents and Postgres clients would keep the process alive
  (err: Error) => {
    process.stderr.write(`bench:core failed: ${err.stack ?? err.message}\n`);
    process.exit(1);
  },
);
