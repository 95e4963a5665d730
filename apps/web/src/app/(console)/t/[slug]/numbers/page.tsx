"use client";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useParams } from "next/navigation";
import { ApplyChanges } from "../../../../../components/console/apply-changes.tsx";
import { Select } from "../../../../../components/console/checkbox-group.tsx";
import { formText } from "../../../../../components/console/form-values.ts";
import { ResourcePage } from "../../../../../components/console/resource-page.tsx";
import { Button } from "../../../../../components/ui/button.tsx";
import { Field } from "../../../../../components/ui/field.tsx";
import { fieldErrors, useRefetchAfterChange, useTRPC } from "../../../../../trpc/client.tsx";

export default function NumbersPage() {
  const { slug } = useParams<{ slug: string }>();
  const trpc = useTRPC();
  const numbers = useQuery(trpc.number.list.queryOptions({ tenant: slug }));
  const agents = useQuery(trpc.agent.list.queryOptions({ tenant: slug }));
  const refresh = useRefetchAfterChange(trpc.number.list.queryKey());
  const create = useMutation(trpc.number.create.mutationOptions({ onSuccess: refresh }));
  const remove = useMutation(trpc.number.delete.mutationOptions({ onSuccess: refresh }));
  const errors = fieldErrors(create.error);

  return (
    <ResourcePage
      title="Numbers"
      testId="numbers"
      rows={numbers.data}
      loadError={numbers.error}
      rowKey={(n) => n.number}
      columns={[
        { header: "Number", cell: (n) => <span className="font-mono">{n.number}</span> },
        { header: "Agent", cell: (n) => n.agentId },
        { header: "Recorded", cell: (n) => (n.record ? "yes" : "no") },
      ]}
      onDelete={(n) => remove.mutate({ tenant: slug, number: n.number })}
      deleteError={remove.error}
      empty="No numbers yet."
      form={{
        title: "Add a number",
        error: create.error,
        children: (
          <form
            className="grid gap-4 md:grid-cols-3"
            action={(form) =>
              create.mutate({
                tenant: slug,
                data: {
                  number: formText(form, "number"),
                  agentId: formText(form, "agentId"),
                  record: form.get("record") === "on",
                },
              })
            }
          >
            <Field
              label="Number"
              name="number"
              required
              placeholder="+15551000"
              error={errors.number}
              hint="E.164 or an internal number: 2-15 digits."
            />
            <Select
              label="Agent"
              name="agentId"
              required
              options={agents.data?.map((a) => ({ value: a.id, text: `${a.name} (${a.id})` })) ?? []}
              error={errors.agentId}
            />
            <label className="flex items-center gap-2 self-end pb-2 text-sm">
              <input type="checkbox" name="record" /> Record calls
            </label>
            <div className="md:col-span-3">
              <Button type="submit" busy={create.isPending} disabled={!agents.data?.length}>
                Add number
              </Button>
            </div>
          </form>
        ),
      }}
      footer={<ApplyChanges slug={slug} />}
    />
  );
}
