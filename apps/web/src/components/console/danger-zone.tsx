"use client";
// Suspend, reactivate and delete, each confirmed by typing the tenant's slug.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { errorText, fieldErrors, useTRPC } from "../../trpc/client.tsx";
import { Banner } from "../ui/banner.tsx";
import { Button } from "../ui/button.tsx";
import { Card } from "../ui/card.tsx";
import { Field } from "../ui/field.tsx";

export function DangerZone({ slug, status, role }: { slug: string; status: string; role: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [confirm, setConfirm] = useState("");
  const refresh = () => queryClient.invalidateQueries();
  const suspend = useMutation(trpc.tenant.suspend.mutationOptions({ onSuccess: refresh }));
  const reactivate = useMutation(trpc.tenant.reactivate.mutationOptions({ onSuccess: refresh }));
  const remove = useMutation(trpc.tenant.delete.mutationOptions({ onSuccess: refresh }));
  const failed = suspend.error ?? reactivate.error ?? remove.error;
  const confirmed = confirm === slug;
  if (status === "deleted" || role === "member") return null;

  return (
    <Card className="space-y-4 ring-red-200">
      <h2 className="text-base font-semibold text-red-700">Danger zone</h2>
      {failed && Object.keys(fieldErrors(failed)).length === 0 && <Banner>{errorText(failed)}</Banner>}
      <Field
        label={`Type ${slug} to confirm`}
        value={confirm}
        onChange={(e) => setConfirm(e.target.value)}
        autoComplete="off"
        error={fieldErrors(remove.error).confirmSlug}
      />
      <div className="flex flex-wrap gap-3">
        {status === "active" && (
          <Button variant="secondary" disabled={!confirmed} busy={suspend.isPending} onClick={() => suspend.mutate({ tenant: slug })}>
            Suspend
          </Button>
        )}
        {status === "suspended" && (
          <Button variant="secondary" disabled={!confirmed} busy={reactivate.isPending} onClick={() => reactivate.mutate({ tenant: slug })}>
            Reactivate
          </Button>
        )}
        {role === "owner" && status !== "deleting" && (
          <Button
            variant="danger"
            disabled={!confirmed}
            busy={remove.isPending}
            onClick={() => remove.mutate({ tenant: slug, confirmSlug: confirm })}
          >
            Delete tenant
          </Button>
        )}
      </div>
      <p className="text-sm text-slate-500">
        Suspending refuses new calls and stops the tenant's containers; its data stays. Deleting removes every container, network, volume
        and file of the tenant, and closes its license.
      </p>
    </Card>
  );
}
