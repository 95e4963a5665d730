"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useParams } from "next/navigation";
import { useState } from "react";
import { StatusBadge } from "../../../../../components/ui/badge.tsx";
import { Banner } from "../../../../../components/ui/banner.tsx";
import { Card, CardTitle } from "../../../../../components/ui/card.tsx";
import { Table, Td, Th } from "../../../../../components/ui/table.tsx";
import { errorText, useTRPC } from "../../../../../trpc/client.tsx";

export default function CallsPage() {
  const { slug } = useParams<{ slug: string }>();
  const trpc = useTRPC();
  const [agentId, setAgentId] = useState("");
  const agents = useQuery(trpc.agent.list.queryOptions({ tenant: slug }));
  const calls = useQuery({
    ...trpc.calls.list.queryOptions({ tenant: slug, filter: agentId ? { agentId } : {} }),
    refetchInterval: 10_000,
  });
  return (
    <Card className="space-y-4">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <CardTitle>Calls</CardTitle>
        <label className="flex items-center gap-2 text-sm text-slate-600">
          Agent
          <select value={agentId} onChange={(e) => setAgentId(e.target.value)} className="rounded-md px-2 py-1 ring-1 ring-slate-300">
            <option value="">all</option>
            {agents.data?.map((a) => (
              <option key={a.id} value={a.id}>
                {a.name}
              </option>
            ))}
          </select>
        </label>
      </div>
      {calls.error && <Banner>{errorText(calls.error)}</Banner>}
      {calls.data?.length === 0 && <p className="text-sm text-slate-500">No calls yet.</p>}
      {calls.data && calls.data.length > 0 && (
        <Table data-testid="calls">
          <thead>
            <tr>
              <Th>Started</Th>
              <Th>From</Th>
              <Th>To</Th>
              <Th>Agent</Th>
              <Th>Billed</Th>
              <Th>Status</Th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {calls.data.map((c) => (
              <tr key={c.id}>
                <Td>
                  <Link className="text-brand-600 hover:underline" href={`/t/${slug}/calls/${c.id}`}>
                    {new Date(c.openedAt).toLocaleString()}
                  </Link>
                </Td>
                <Td className="font-mono">{c.from}</Td>
                <Td className="font-mono">{c.to}</Td>
                <Td>{c.agentId}</Td>
                <Td>{c.billedSeconds ?? 0} s</Td>
                <Td>
                  <StatusBadge status={c.status} />
                </Td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
    </Card>
  );
}
