"use client";
// An endpoint's recent deliveries: event, attempts, last error, delivered or next try.
import { useQuery } from "@tanstack/react-query";
import { errorText, useTRPC } from "../../trpc/client.tsx";
import { Banner } from "../ui/banner.tsx";
import { Table, Td, Th } from "../ui/table.tsx";

const when = (d: string | Date | null) => (d ? new Date(d).toLocaleString() : "—");

export function WebhookDeliveries({ slug, id }: { slug: string; id: string }) {
  const trpc = useTRPC();
  const deliveries = useQuery({ ...trpc.webhook.deliveries.queryOptions({ tenant: slug, id }), refetchInterval: 10_000 });
  if (deliveries.error) return <Banner>{errorText(deliveries.error)}</Banner>;
  if (deliveries.data?.length === 0) return <p className="text-sm text-slate-500">No deliveries yet.</p>;
  return (
    <Table data-testid="webhook-deliveries">
      <thead>
        <tr>
          <Th>Event</Th>
          <Th>Attempts</Th>
          <Th>Delivered</Th>
          <Th>Next try</Th>
          <Th>Last error</Th>
        </tr>
      </thead>
      <tbody className="divide-y divide-slate-100">
        {deliveries.data?.map((d) => (
          <tr key={d.id}>
            <Td>{d.event}</Td>
            <Td>{d.attempts}</Td>
            <Td>{when(d.deliveredAt)}</Td>
            <Td>{when(d.nextAttemptAt)}</Td>
            <Td className="max-w-72 truncate text-xs" title={d.lastError ?? undefined}>
              {d.lastError ?? "—"}
            </Td>
          </tr>
        ))}
      </tbody>
    </Table>
  );
}
