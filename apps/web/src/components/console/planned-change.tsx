"use client";
// A planned configuration change, waiting for a decision: what tofu would change, resource by
// resource, and the buttons that apply it or throw it away.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { errorText, useTRPC } from "../../trpc/client.tsx";
import { Banner } from "../ui/banner.tsx";
import { Button } from "../ui/button.tsx";
import { Card, CardTitle } from "../ui/card.tsx";

type TPlan = { add: number; change: number; remove: number; resources: { address: string; action: string }[] };

export function PlannedChange({ slug, runId, plan, canDecide }: { slug: string; runId: string; plan: TPlan; canDecide: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const refresh = () => queryClient.invalidateQueries();
  const approve = useMutation(trpc.tenant.approveRun.mutationOptions({ onSuccess: refresh }));
  const discard = useMutation(trpc.tenant.discardRun.mutationOptions({ onSuccess: refresh }));
  const failed = approve.error ?? discard.error;
  return (
    <Card className="space-y-4 ring-brand-200" data-testid="planned-change">
      <CardTitle>Planned change</CardTitle>
      <p className="text-sm text-slate-600">
        {plan.add} to add, {plan.change} to change, {plan.remove} to remove. Nothing changes until you apply it.
      </p>
      <ul className="space-y-1 font-mono text-xs text-slate-700">
        {plan.resources.map((r) => (
          <li key={r.address}>
            <span className="inline-block w-20 text-slate-500">{r.action}</span>
            {r.address}
          </li>
        ))}
      </ul>
      {failed && <Banner>{errorText(failed)}</Banner>}
      {canDecide && (
        <div className="flex gap-3">
          <Button busy={approve.isPending} onClick={() => approve.mutate({ tenant: slug, runId })}>
            Apply change
          </Button>
          <Button variant="secondary" busy={discard.isPending} onClick={() => discard.mutate({ tenant: slug, runId })}>
            Discard
          </Button>
        </div>
      )}
    </Card>
  );
}
