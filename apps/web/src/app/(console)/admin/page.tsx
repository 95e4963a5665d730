"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { StatusBadge } from "../../../components/ui/badge.tsx";
import { Banner } from "../../../components/ui/banner.tsx";
import { Button } from "../../../components/ui/button.tsx";
import { Card, CardTitle } from "../../../components/ui/card.tsx";
import { Table, Td, Th } from "../../../components/ui/table.tsx";
import { errorText, useTRPC } from "../../../trpc/client.tsx";

export default function AdminPage() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const tenants = useQuery(trpc.admin.tenants.queryOptions());
  const licenses = useQuery(trpc.admin.licenses.queryOptions());
  const grant = useMutation(
    trpc.admin.grantCredits.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.admin.licenses.queryKey() }),
    }),
  );
  const slugOf = new Map(tenants.data?.map((t) => [t.licenseId, t.slug]));

  return (
    <div className="space-y-6">
      <h1 className="text-2xl font-semibold tracking-tight">Platform</h1>
      {tenants.error && <Banner>{errorText(tenants.error)}</Banner>}
      <Card className="space-y-4">
        <CardTitle>Tenants</CardTitle>
        <Table data-testid="admin-tenants">
          <thead>
            <tr>
              <Th>Slug</Th>
              <Th>Name</Th>
              <Th>Owners</Th>
              <Th>Status</Th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {tenants.data?.map((t) => (
              <tr key={t.slug}>
                <Td className="font-mono">{t.slug}</Td>
                <Td>{t.name}</Td>
                <Td>{t.owners.join(", ")}</Td>
                <Td>
                  <StatusBadge status={t.status} />
                </Td>
              </tr>
            ))}
          </tbody>
        </Table>
      </Card>
      <Card className="space-y-4">
        <CardTitle>Licenses and credits</CardTitle>
        {licenses.error && <Banner>{errorText(licenses.error)}</Banner>}
        {grant.error && <Banner>{errorText(grant.error)}</Banner>}
        <Table data-testid="admin-licenses">
          <thead>
            <tr>
              <Th>License</Th>
              <Th>Tenant</Th>
              <Th>Status</Th>
              <Th>Credits</Th>
              <Th>Grant minutes</Th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {licenses.data?.map((l) => (
              <tr key={l.id}>
                <Td className="font-mono text-xs">{l.id}</Td>
                <Td>{slugOf.get(l.id) ?? l.name}</Td>
                <Td>
                  <StatusBadge status={l.status} />
                </Td>
                <Td>{Math.floor(l.balanceSeconds / 60)} min</Td>
                <Td>
                  <form className="flex gap-2" action={(form) => grant.mutate({ licenseId: l.id, minutes: Number(form.get("minutes")) })}>
                    <input
                      name="minutes"
                      type="number"
                      required
                      aria-label={`Minutes for ${slugOf.get(l.id) ?? l.name}`}
                      className="w-24 rounded-md px-2 py-1 ring-1 ring-slate-300"
                    />
                    <Button type="submit" variant="secondary" busy={grant.isPending && grant.variables?.licenseId === l.id}>
                      Grant
                    </Button>
                  </form>
                </Td>
              </tr>
            ))}
          </tbody>
        </Table>
      </Card>
    </div>
  );
}
