"use client";
import { WEBHOOK_EVENTS } from "@dsai/contracts/webhook-events";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useParams } from "next/navigation";
import { CheckboxGroup } from "../../../../../components/console/checkbox-group.tsx";
import { formText } from "../../../../../components/console/form-values.ts";
import { ResourcePage } from "../../../../../components/console/resource-page.tsx";
import { WebhookDeliveries } from "../../../../../components/console/webhook-deliveries.tsx";
import { Button } from "../../../../../components/ui/button.tsx";
import { Field } from "../../../../../components/ui/field.tsx";
import { fieldErrors, useRefetchAfterChange, useTRPC } from "../../../../../trpc/client.tsx";

export default function WebhooksPage() {
  const { slug } = useParams<{ slug: string }>();
  const trpc = useTRPC();
  const hooks = useQuery(trpc.webhook.list.queryOptions({ tenant: slug }));
  const refresh = useRefetchAfterChange(trpc.webhook.list.queryKey());
  const create = useMutation(trpc.webhook.create.mutationOptions({ onSuccess: refresh }));
  const remove = useMutation(trpc.webhook.delete.mutationOptions({ onSuccess: refresh }));
  const errors = fieldErrors(create.error);
  return (
    <ResourcePage
      title="Webhooks"
      testId="webhooks"
      rows={hooks.data}
      loadError={hooks.error}
      rowKey={(w) => w.id}
      columns={[
        { header: "URL", cell: (w) => <span className="font-mono text-xs">{w.url}</span> },
        { header: "Events", cell: (w) => (w.events.length === 0 ? "all" : w.events.join(", ")) },
        { header: "Enabled", cell: (w) => (w.enabled ? "yes" : "no") },
        {
          header: "Deliveries",
          cell: (w) => (
            <details>
              <summary className="cursor-pointer text-brand-600">show</summary>
              <WebhookDeliveries slug={slug} id={w.id} />
            </details>
          ),
        },
      ]}
      onDelete={(w) => remove.mutate({ tenant: slug, id: w.id })}
      deleteError={remove.error}
      empty="No webhooks: the core can POST call events, signed, to your endpoints."
      form={{
        title: "New webhook",
        error: create.error,
        children: (
          <form
            className="space-y-4"
            action={(form) =>
              create.mutate({
                tenant: slug,
                data: { url: formText(form, "url"), events: form.getAll("events").map(String) },
              })
            }
          >
            <Field label="URL" name="url" required placeholder="https://crm.example.com/dsai" error={errors.url} />
            <CheckboxGroup legend="Events (none: all)" name="events" options={WEBHOOK_EVENTS} checked={[]} />
            <Button type="submit" busy={create.isPending}>
              Add webhook
            </Button>
          </form>
        ),
      }}
    />
  );
}
