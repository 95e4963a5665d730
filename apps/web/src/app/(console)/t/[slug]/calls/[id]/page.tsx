"use client";
import { useQuery } from "@tanstack/react-query";
import { useParams } from "next/navigation";
import { Banner } from "../../../../../../components/ui/banner.tsx";
import { Card, CardTitle } from "../../../../../../components/ui/card.tsx";
import { errorText, useTRPC } from "../../../../../../trpc/client.tsx";

type TEvent = { at: string | Date; kind: string; role: string | null; text: string | null; data: unknown };

/** A turn's latencies as the core records them (ms), in the order the pipeline runs. */
const LATENCY_PARTS = [
  ["replyMs", "reply"],
  ["asrMs", "ASR"],
  ["llmFirstTextMs", "LLM first text"],
  ["ttsFirstAudioMs", "TTS first audio"],
] as const;
const latencyText = (e: TEvent) => {
  const d = (e.data ?? {}) as Record<string, unknown>;
  return LATENCY_PARTS.filter(([key]) => typeof d[key] === "number")
    .map(([key, label]) => `${label} ${d[key]} ms`)
    .join(" · ");
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
      {c.hasRecording && (
        <figure className="space-y-1">
          <figcaption className="text-sm font-medium text-slate-800">Recording</figcaption>
          {/* biome-ignore lint/a11y/useMediaCaption: a phone call's recording has no caption track; its transcript is below */}
          <audio
            controls
            preload="metadata"
            className="w-full"
            data-testid="recording"
            src={`/api/tenants/${encodeURIComponent(slug)}/calls/${encodeURIComponent(c.id)}/recording`}
          />
        </figure>
      )}
      <ol className="space-y-2" data-testid="transcript">
        {(c.events as TEvent[]).map((e, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: a call's events are append-only, in order, and never re-sorted
          <li key={`${i}-${e.kind}`} className="flex gap-3 text-sm">
            <span className="w-14 shrink-0 text-right font-mono text-xs text-slate-400">
              +{((new Date(e.at).getTime() - start) / 1000).toFixed(1)}s
            </span>
            <span className={e.role === "agent" ? "text-brand-700" : "text-slate-800"}>
              <span className="font-medium">{e.role ?? e.kind}</span>
              {e.kind === "latency" ? (
                <span className="ml-2 text-xs text-slate-500">{latencyText(e)}</span>
              ) : e.text ? (
                `: ${e.text}`
              ) : (
                ` (${e.kind})`
              )}
            </span>
          </li>
        ))}
      </ol>
    </Card>
  );
}
