"use client";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useParams } from "next/navigation";
import { formText } from "../../../../../components/console/form-values.ts";
import { Banner } from "../../../../../components/ui/banner.tsx";
import { Button } from "../../../../../components/ui/button.tsx";
import { Card, CardTitle } from "../../../../../components/ui/card.tsx";
import { Field } from "../../../../../components/ui/field.tsx";
import { Table, Td, Th } from "../../../../../components/ui/table.tsx";
import { errorText, fieldErrors, useRefetchAfterChange, useTRPC } from "../../../../../trpc/client.tsx";

const when = (d: string | Date | null) => (d ? new Date(d).toLocaleString() : "—");

export default function ApiKeysPage() {
  const { slug } = useParams<{ slug: string }>();
  const trpc = useTRPC();
  const keys = useQuery(trpc.apiKey.list.queryOptions({ tenant: slug }));
  const refresh = useRefetchAfterChange(trpc.apiKey.list.queryKey());
  const create = useMutation(trpc.apiKey.create.mutationOptions({ onSuccess: refresh }));
  const revoke = useMutation(trpc.apiKey.revoke.mutationOptions({ onSuccess: refresh }));
  const errors = fieldErrors(create.error);

  return (
    <div className="space-y-6">
      {keys.error && <Banner>{errorText(keys.error)}</Banner>}
      {create.data && (
        <div role="status" className="space-y-2 rounded-md bg-emerald-50 px-4 py-3 text-sm text-emerald-900 ring-1 ring-emerald-200">
          <p className="font-medium">Copy this key now: it is shown once and stored only as a hash.</p>
          <code data-testid="new-key" className="block break-all rounded bg-white px-2 py-1 font-mono text-xs">
            {create.data.token}
          </code>
        </div>
      )}
      <Card className="space-y-4">
        <CardTitle>API keys</CardTitle>
        {keys.data?.length === 0 && <p className="text-sm text-slate-500">No keys yet.</p>}
        {keys.data && keys.data.length > 0 && (
          <Table data-testid="api-keys">
            <thead>
              <tr>
                <Th>Label</Th>
                <Th>Key id</Th>
                <Th>Created</Th>
                <Th>Last used</Th>
                <Th />
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {keys.data.map((k) => (
                <tr key={k.id}>
                  <Td>{k.label}</Td>
                  <Td className="font-mono">{k.keyId}</Td>
                  <Td>{when(k.createdAt)}</Td>
                  <Td>{when(k.lastUsedAt)}</Td>
                  <Td className="text-right">
                    {k.revokedAt ? (
                      <span className="text-slate-400">revoked</span>
                    ) : (
                      <Button variant="ghost" onClick={() => revoke.mutate({ tenant: slug, id: k.id })}>
                        Revoke
                      </Button>
                    )}
                  </Td>
                </tr>
              ))}
            </tbody>
          </Table>
        )}
      </Card>
      <Card className="space-y-4">
        <CardTitle>New API key</CardTitle>
        <form
          className="flex flex-wrap items-end gap-4"
          action={(form) => create.mutate({ tenant: slug, data: { label: formText(form, "label") } })}
        >
          <Field label="Label" name="label" required placeholder="CRM integration" error={errors.label} className="min-w-64" />
          <Button type="submit" busy={create.isPending}>
            Create key
          </Button>
        </form>
      </Card>
    </div>
  );
}
