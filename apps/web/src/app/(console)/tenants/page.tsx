"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { StatusBadge } from "../../../components/ui/badge.tsx";
import { Banner } from "../../../components/ui/banner.tsx";
import { Card } from "../../../components/ui/card.tsx";
import { errorText, useTRPC } from "../../../trpc/client.tsx";

export default function TenantsPage() {
  const trpc = useTRPC();
  const tenants = useQuery({ ...trpc.tenant.list.queryOptions(), refetchInterval: 5_000 });
  return (
    <div className="space-y-6">
      <div className="flex items-center justify-between">
        <h1 className="text-2xl font-semibold tracking-tight">Tenants</h1>
        <Link
          href="/tenants/new"
          className="rounded-md bg-brand-600 px-3.5 py-2 text-sm font-semibold text-white shadow-sm hover:bg-brand-700"
        >
          New tenant
        </Link>
      </div>
      {tenants.error && <Banner>{errorText(tenants.error)}</Banner>}
      {tenants.data?.length === 0 && (
        <Card className="text-center text-sm text-slate-500">No tenants yet. Create one to get a voice agent on its own number.</Card>
      )}
      {tenants.data && tenants.data.length > 0 && (
        <ul className="divide-y divide-slate-200 overflow-hidden rounded-xl bg-white shadow-sm ring-1 ring-slate-200">
          {tenants.data.map((t) => (
            <li key={t.slug}>
              <Link href={`/t/${t.slug}`} className="flex items-center justify-between px-5 py-4 hover:bg-slate-50">
                <div>
                  <p className="font-medium">{t.name}</p>
                  <p className="text-sm text-slate-500">
                    {t.slug} · {t.role}
                  </p>
                </div>
                <StatusBadge status={t.status} />
              </Link>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
