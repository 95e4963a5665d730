"use client";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useParams } from "next/navigation";
import { ApplyChanges } from "../../../../../components/console/apply-changes.tsx";
import { Banner } from "../../../../../components/ui/banner.tsx";
import { Button } from "../../../../../components/ui/button.tsx";
import { Card, CardTitle } from "../../../../../components/ui/card.tsx";
import { Field } from "../../../../../components/ui/field.tsx";
import { Table, Td, Th } from "../../../../../components/ui/table.tsx";
import { errorText, fieldErrors, useRefetchAfterChange, useTRPC } from "../../../../../trpc/client.tsx";

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
    <div className="space-y-6">
      {numbers.error && <Banner>{errorText(numbers.error)}</Banner>}
      <Card className="space-y-4">
        <CardTitle>Numbers</CardTitle>
        {numbers.data?.length === 0 && <p className="text-sm text-slate-500">No numbers yet.</p>}
        {numbers.data && numbers.data.length > 0 && (
          <Table data-testid="numbers">
            <thead>
              <tr>
                <Th>Number</Th>
                <Th>Agent</Th>
                <Th>Recorded</Th>
                <Th />
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {numbers.data.map((n) => (
                <tr key={n.number}>
                  <Td className="font-mono">{n.number}</Td>
                  <Td>{n.agentId}</Td>
                  <Td>{n.record ? "yes" : "no"}</Td>
                  <Td className="text-right">
                    <Button variant="ghost" onClick={() => remove.mutate({ tenant: slug, number: n.number })}>
                      Remove
                    </Button>
                  </Td>
                </tr>
              ))}
            </tbody>
          </Table>
        )}
      </Card>
      <Card className="space-y-4">
        <CardTitle>Add a number</CardTitle>
        {create.error && Object.keys(errors).length === 0 && <Banner>{errorText(create.error)}</Banner>}
        <form
          className="grid gap-4 md:grid-cols-3"
          action={(form) =>
            create.mutate({
              tenant: slug,
              data: {
                number: String(form.get("number") ?? "").trim(),
                agentId: String(form.get("agentId") ?? ""),
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
          <div className="space-y-1.5">
            <label htmlFor="agentId" className="block text-sm font-medium text-slate-800">
              Agent
            </label>
            <select
              id="agentId"
              name="agentId"
              required
              className="block w-full rounded-md px-3 py-2 text-sm ring-1 ring-inset ring-slate-300"
            >
              {agents.data?.map((a) => (
                <option key={a.id} value={a.id}>
                  {a.name} ({a.id})
                </option>
              ))}
            </select>
            {errors.agentId && <p className="text-sm text-red-600">{errors.agentId}</p>}
          </div>
          <label className="flex items-center gap-2 self-end pb-2 text-sm">
            <input type="checkbox" name="record" /> Record calls
          </label>
          <div className="md:col-span-3">
            <Button type="submit" busy={create.isPending} disabled={!agents.data?.length}>
              Add number
            </Button>
          </div>
        </form>
      </Card>
      <ApplyChanges slug={slug} />
    </div>
  );
}
