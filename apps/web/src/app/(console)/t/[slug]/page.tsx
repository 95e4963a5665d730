"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useParams } from "next/navigation";
import { useEffect } from "react";
import { DangerZone } from "../../../../components/console/danger-zone.tsx";
import { PlannedChange } from "../../../../components/console/planned-change.tsx";
import { RunLog } from "../../../../components/console/run-log.tsx";
import { StatusBadge } from "../../../../components/ui/badge.tsx";
import { Banner } from "../../../../components/ui/banner.tsx";
import { Button } from "../../../../components/ui/button.tsx";
import { Card, CardTitle } from "../../../../components/ui/card.tsx";
import { errorText, useTRPC } from "../../../../trpc/client.tsx";

type TPlan = { add: number; change: number; remove: number; resources: { address: string; action: string }[] };
const IN_PROGRESS = new Set(["provisioning", "suspending", "reactivating", "deleting"]);

/** Something is happening: the tenant is between states, or a run is queued or running. */
const busy = (t: { status: string; latestRun: { status: string } | null } | undefined) =>
  Boolean(t && (IN_PROGRESS.has(t.status) || t.latestRun?.status === "queued" || t.latestRun?.status === "running"));

function duration(ms: number | null): string {
  if (ms === null) return "—";
  return ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export default function TenantPage() {
  const { slug } = useParams<{ slug: string }>();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const tenant = useQuery({
    ...trpc.tenant.get.queryOptions({ tenant: slug }),
    refetchInterval: (q) => (busy(q.state.data) ? 1_000 : 10_000),
  });
  const runs = useQuery({
    ...trpc.tenant.runs.queryOptions({ tenant: slug }),
    refetchInterval: busy(tenant.data) ? 1_000 : 10_000,
  });
  // The history follows the overview: when the latest run or the tenant changes state, it is read again.
  const latestState = `${tenant.data?.status}/${tenant.data?.latestRun?.id}/${tenant.data?.latestRun?.status}`;
  const refetchRuns = runs.refetch;
  useEffect(() => {
    if (latestState) void refetchRuns();
  }, [latestState, refetchRuns]);
  const retry = useMutation(trpc.tenant.retry.mutationOptions({ onSuccess: () => queryClient.invalidateQueries() }));

  if (tenant.error) return <Banner>{errorText(tenant.error)}</Banner>;
  const t = tenant.data;
  if (!t) return <p className="text-sm text-slate-500">Loading…</p>;
  const run = t.latestRun;
  const role = t.role;

  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <div>
          <h1 className="text-2xl font-semibold tracking-tight">{t.name}</h1>
          <p className="text-sm text-slate-500">{t.slug}</p>
        </div>
        <div data-testid="tenant-status">
          <StatusBadge status={t.status} />
        </div>
      </div>

      {t.status === "failed" && run?.status === "failed" && (
        <Banner>
          <p className="font-medium">The last {run.action} failed.</p>
          <p className="mt-1 whitespace-pre-wrap font-mono text-xs">{run.error}</p>
          {role !== "member" && (
            <Button className="mt-3" variant="secondary" busy={retry.isPending} onClick={() => retry.mutate({ tenant: slug })}>
              Retry
            </Button>
          )}
        </Banner>
      )}

      {run?.status === "planned" && run.planSummary && (
        <PlannedChange slug={slug} runId={run.id} plan={run.planSummary as TPlan} canDecide={role !== "member"} />
      )}

      <div className="grid gap-6 md:grid-cols-2">
        <Card className="space-y-3">
          <CardTitle>Endpoints</CardTitle>
          <dl className="space-y-2 text-sm">
            <div>
              <dt className="text-slate-500">Tenant address</dt>
              <dd className="font-mono" data-testid="tenant-host">
                {t.endpoints.host}
              </dd>
            </div>
            <div>
              <dt className="text-slate-500">SIP domain</dt>
              <dd className="font-mono">{t.endpoints.sipDomain}</dd>
            </div>
          </dl>
        </Card>
        {run && (
          <Card className="space-y-3">
            <div className="flex items-center justify-between">
              <CardTitle>Current run: {run.action}</CardTitle>
              <StatusBadge status={run.status} />
            </div>
            {run.planSummary && typeof run.planSummary === "object" && (
              <p className="text-sm text-slate-600" data-testid="plan-summary">
                Plan: {String((run.planSummary as { add?: number }).add ?? 0)} to add,{" "}
                {String((run.planSummary as { change?: number }).change ?? 0)} to change,{" "}
                {String((run.planSummary as { remove?: number }).remove ?? 0)} to remove
              </p>
            )}
            <RunLog key={run.id} tenant={slug} runId={run.id} />
          </Card>
        )}
      </div>

      <Card className="space-y-3">
        <CardTitle>Run history</CardTitle>
        <table className="w-full text-left text-sm" data-testid="run-history">
          <thead className="text-slate-500">
            <tr>
              <th className="py-2 font-medium">Action</th>
              <th className="py-2 font-medium">Status</th>
              <th className="py-2 font-medium">Queued</th>
              <th className="py-2 font-medium">Duration</th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {runs.data?.map((r) => (
              <tr key={r.id}>
                <td className="py-2">{r.action}</td>
                <td className="py-2">
                  <StatusBadge status={r.status} />
                </td>
                <td className="py-2 text-slate-600">{new Date(r.queuedAt).toLocaleString()}</td>
                <td className="py-2 text-slate-600">{duration(r.durationMs)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Card>

      <DangerZone slug={slug} status={t.status} role={role} />
    </div>
  );
}
