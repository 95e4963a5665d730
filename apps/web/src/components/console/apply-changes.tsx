"use client";
// Configuration changes reach the tenant's stack after a plan the user reviews: this asks for it.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { errorText, useTRPC } from "../../trpc/client.tsx";
import { Banner } from "../ui/banner.tsx";
import { Button } from "../ui/button.tsx";

export function ApplyChanges({ slug }: { slug: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const plan = useMutation(trpc.tenant.planChanges.mutationOptions({ onSuccess: () => queryClient.invalidateQueries() }));
  return (
    <div className="flex flex-wrap items-center gap-3 rounded-md bg-brand-50 px-4 py-3 text-sm text-brand-700">
      <span>
        Numbers, trunks, phones and provider profiles reach Asterisk and the tenant's containers once a plan of the change is approved.
      </span>
      <Button variant="secondary" busy={plan.isPending} onClick={() => plan.mutate({ tenant: slug })}>
        Review changes
      </Button>
      {plan.isSuccess && (
        <Link className="font-semibold underline" href={`/t/${slug}`}>
          See the plan on the overview
        </Link>
      )}
      {plan.error && <Banner>{errorText(plan.error)}</Banner>}
    </div>
  );
}
