"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useTRPC } from "../../trpc/client.tsx";

/** The platform pages' link, for platform admins only (the pages check it too). */
export function AdminLink() {
  const trpc = useTRPC();
  const me = useQuery(trpc.auth.me.queryOptions());
  if (!me.data?.isPlatformAdmin) return null;
  return (
    <Link href="/admin" className="font-medium text-brand-600 hover:text-brand-700">
      Platform
    </Link>
  );
}
