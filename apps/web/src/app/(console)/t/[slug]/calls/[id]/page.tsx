"use client";
import { useQuery } from "@tanstack/react-query";
import { useParams } from "next/navigation";
import { Banner } from "../../../../../../components/ui/banner.tsx";
import { Card, CardTitle } from "../../../../../../components/ui/card.tsx";
import { errorText, useTRPC } from "../../../../../../trpc/client.tsx";

type TEvent = { at: string | Date; kind: string; role: string | null; text: string | null; data: unknown };

/** The reply latency a turn recorded, when it did (ms from the end of the caller's speech). */
const latencyOf = (e: TEvent) => {
  const d = e.data as { latencyMs?: number } | null;
  return typeof d?.latencyMs === "number" ? d.latencyMs : undefined;
};

export default function CallPage() {
  const { slug, id } = useParams<{ slug: string; id: string }>();
  const trpc = useTRPC();
  const call = useQuery(trpc.calls.get.queryOptions({ tenant: slug, id }));
  if (call.error) return <Banner>{errorText(call.error)}</Banner>;
  const c = call.data;
  if (!c) return <p className="text-sm text-slate-500">Loading…</p>;
  const start = new Date(c.openedAt).getTime();
  return (
    <Card className="space-y-4">
      <CardTitle>
        Call from <span className="font-mono">{c.from}</span> to <span className="font-mono">{c.to}</span>
      </CardTitle>
      <p className="text-sm text-slate-600">
        Agent {c.agentId} · {c.status} · billed {c.billedSeconds ?? 0} s{c.hangupCause ? ` · ${c.hangupCause}` : ""}
      </p>
      <ol className="space-y-2" data-testid="transcript">
        {(c.events as TEvent[]).map((e, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: a call's events are append-only, in order, and never re-sorted
          <li key={`${i}-${e.kind}`} className="flex gap-3 text-sm">
            <span className="w-14 shrink-0 text-right font-mono text-xs text-slate-400">
              +{((new Date(e.at).getTime() - start) / 1000).toFixed(1)}s
            </span>
            <span className={e.role === "agent" ? "text-brand-700" : "text-slate-800"}>
              <span className="font-medium">{e.role ?? e.kind}</span>
              {e.text ? `: ${e.text}` : ` (${e.kind})`}
              {latencyOf(e) !== undefined && <span className="ml-2 text-xs text-slate-400">{latencyOf(e)} ms</span>}
            </span>
          </li>
        ))}
      </ol>
    </Card>
  );
}
