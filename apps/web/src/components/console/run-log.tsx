"use client";
// A run's progress and log, live: polls the run's events after the last one it has (cursor), so
// the log keeps growing across reloads and never repeats a line.
import { useQuery } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { useTRPC } from "../../trpc/client.tsx";
import { ProgressBar } from "../ui/progress.tsx";

type TEvent = { seq: number; event: Record<string, unknown> };

/** One event as a line of the log, in words. */
function describe(e: Record<string, unknown>): string {
  switch (e.type) {
    case "phase":
      return `— ${e.phase}`;
    case "resource":
      return `${e.state === "finished" ? "✓" : e.state === "errored" ? "✗" : "…"} ${e.address} (${e.action})`;
    case "progress":
      return `${e.done}/${e.total} resources`;
    case "diagnostic":
      return `${e.severity === "error" ? "Error" : "Note"}: ${e.summary}${e.detail ? `\n${e.detail}` : ""}`;
    case "reloaded":
      return `Asterisk reloaded ${(e.modules as string[]).join(", ")}`;
    default:
      return JSON.stringify(e);
  }
}

export function RunLog({ tenant, runId }: { tenant: string; runId: string }) {
  const trpc = useTRPC();
  const [events, setEvents] = useState<TEvent[]>([]);
  const afterSeq = events.at(-1)?.seq ?? 0;
  const query = useQuery({
    ...trpc.tenant.runEvents.queryOptions({ tenant, runId, afterSeq }),
    // Until the run has finished and its last events are in.
    refetchInterval: (q) => (q.state.data?.run.finishedAt && q.state.data.events.length === 0 ? false : 1_000),
  });
  const log = useRef<HTMLPreElement>(null);
  useEffect(() => {
    const fresh = (query.data?.events ?? []) as TEvent[];
    if (fresh.length === 0) return;
    setEvents((old) => [...old, ...fresh.filter((e) => e.seq > (old.at(-1)?.seq ?? 0))]);
    // Follow the log's end as lines arrive.
    requestAnimationFrame(() => log.current?.scrollTo({ top: log.current.scrollHeight }));
  }, [query.data]);
  const run = query.data?.run;

  return (
    <div className="space-y-3">
      {run && (
        <div className="space-y-1.5">
          <div className="flex justify-between text-sm text-slate-600">
            <span data-testid="run-phase">{run.phase ?? "waiting for a worker"}</span>
            <span>{run.progress}%</span>
          </div>
          <ProgressBar percent={run.progress} label={`${run.action} progress`} />
        </div>
      )}
      <pre
        ref={log}
        data-testid="run-log"
        className="max-h-72 overflow-auto rounded-md bg-slate-900 p-3 font-mono text-xs leading-relaxed text-slate-100"
        aria-live="polite"
      >
        {events.length === 0 ? "Waiting for the first event…" : events.map((e) => describe(e.event)).join("\n")}
      </pre>
    </div>
  );
}
