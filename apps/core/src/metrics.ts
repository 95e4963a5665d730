// Prometheus text-format metrics without a dependency: counters, gauges and histograms with
// labels, rendered at GET /metrics.
import { LATENESS_BUCKETS_MS, type TPacerStats } from "./audiosocket/pacer.ts";

type TLabels = Record<string, string>;
const key = (labels: TLabels) =>
  Object.entries(labels)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}="${v.replace(/["\\\n]/g, "_")}"`)
    .join(",");

class Counter {
  private readonly values = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  inc(labels: TLabels = {}, by = 1): void {
    const k = key(labels);
    this.values.set(k, (this.values.get(k) ?? 0) + by);
  }
  get(labels: TLabels = {}): number {
    return this.values.get(key(labels)) ?? 0;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    if (this.values.size === 0) lines.push(`${this.name} 0`);
    for (const [k, v] of this.values) lines.push(`${this.name}${k ? `{${k}}` : ""} ${v}`);
    return lines.join("\n");
  }
}

/** A value read when scraped: a gauge, or a counter kept elsewhere (the pacer's). */
class Sampled {
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly type: "gauge" | "counter",
    private readonly read: () => number,
  ) {}
  render(): string {
    return [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} ${this.type}`, `${this.name} ${this.read()}`].join("\n");
  }
}

/** A histogram counted elsewhere (the pacer's): cumulative buckets and a count. */
class SampledHistogram {
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly bounds: number[],
    private readonly read: () => { buckets: number[]; count: number },
  ) {}
  render(): string {
    const { buckets, count } = this.read();
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    this.bounds.forEach((b, i) => {
      lines.push(`${this.name}_bucket{le="${b}"} ${buckets[i] ?? 0}`);
    });
    lines.push(`${this.name}_bucket{le="+Inf"} ${count}`, `${this.name}_count ${count}`);
    return lines.join("\n");
  }
}

const BUCKETS_MS = [5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000];

class Histogram {
  private readonly series = new Map<string, { counts: number[]; sum: number; count: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  observe(labels: TLabels, value: number): void {
    const k = key(labels);
    let s = this.series.get(k);
    if (!s) {
      s = { counts: BUCKETS_MS.map(() => 0), sum: 0, count: 0 };
      this.series.set(k, s);
    }
    for (let i = 0; i < BUCKETS_MS.length; i++) if (value <= (BUCKETS_MS[i] as number)) (s.counts[i] as number)++;
    s.sum += value;
    s.count++;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const [k, s] of this.series) {
      const sep = k ? `${k},` : "";
      BUCKETS_MS.forEach((b, i) => {
        lines.push(`${this.name}_bucket{${sep}le="${b}"} ${s.counts[i]}`);
      });
      lines.push(`${this.name}_bucket{${sep}le="+Inf"} ${s.count}`);
      lines.push(`${this.name}_sum${k ? `{${k}}` : ""} ${s.sum}`);
      lines.push(`${this.name}_count${k ? `{${k}}` : ""} ${s.count}`);
    }
    return lines.join("\n");
  }
}

export function createMetrics(read: { activeCalls(): number; pacer(): TPacerStats; senderSliceUs(): number; outboxBacklog(): number }) {
  const m = {
    callsOpened: new Counter("dsai_calls_opened_total", "Calls opened over HTTP"),
    callsRefused: new Counter("dsai_calls_refused_total", "Calls refused, by reason"),
    callsEnded: new Counter("dsai_calls_ended_total", "Calls ended, by cause"),
    protocolErrors: new Counter("dsai_audiosocket_errors_total", "AudioSocket connections ended by a protocol error or refusal"),
    providerErrors: new Counter("dsai_provider_errors_total", "Provider failures, by provider"),
    interruptions: new Counter("dsai_interruptions_total", "Barge-ins: replies aborted because the caller spoke"),
    providerLatency: new Histogram("dsai_provider_latency_ms", "Time to first result from a provider, by provider"),
    replyLatency: new Histogram("dsai_reply_latency_ms", "End of caller speech to first outbound audio frame"),
    outboxDelivered: new Counter("dsai_outbox_delivered_total", "Outbox rows delivered, by kind"),
    outboxFailures: new Counter("dsai_outbox_failures_total", "Outbox delivery attempts that failed, by kind"),
  };
  const gauges = [
    new Sampled("dsai_active_calls", "Calls with an AudioSocket connection", "gauge", read.activeCalls),
    new Sampled("dsai_frames_late_total", "Outbound frames sent over 10 ms after their due time", "counter", () => read.pacer().framesLate),
    new Sampled("dsai_frames_sent_total", "Outbound frames sent", "counter", () => read.pacer().framesSent),
    new Sampled(
      "dsai_pacer_early_starts_total",
      "Replies whose first frame went out at once, off the 20 ms grid",
      "counter",
      () => read.pacer().earlyStarts,
    ),
    new Sampled("dsai_pacer_reads_total", "Reads of AudioSocket connections", "counter", () => read.pacer().reads),
    new Sampled(
      "dsai_pacer_empty_reads_total",
      "Reads that found nothing (a probe of an earlier read slot, or a caller's frame later than usual)",
      "counter",
      () => read.pacer().emptyReads,
    ),
    new Sampled(
      "dsai_sender_slice_us",
      "The custom slice the frame sender's thread runs with (0: none, and the log says why)",
      "gauge",
      read.senderSliceUs,
    ),
    new Sampled("dsai_outbox_backlog", "Outbox rows not yet delivered", "gauge", read.outboxBacklog),
    new SampledHistogram(
      "dsai_pacer_lateness_ms",
      "How late each outbound frame was sent after its due time on the 20 ms grid",
      LATENESS_BUCKETS_MS,
      () => ({
        buckets: read.pacer().latenessBuckets,
        count: read.pacer().framesSent,
      }),
    ),
    new SampledHistogram(
      "dsai_pacer_jitter_ms",
      "How far each interval between a call's outbound frames was from 20 ms",
      LATENESS_BUCKETS_MS,
      () => ({
        buckets: read.pacer().jitterBuckets,
        count: read.pacer().intervals,
      }),
    ),
  ];
  return {
    ...m,
    render: () => `${[...Object.values(m), ...gauges].map((x) => x.render()).join("\n")}\n`,
  };
}
export type TMetrics = ReturnType<typeof createMetrics>;
