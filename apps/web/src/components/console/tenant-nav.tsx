"use client";
import Link from "next/link";
import { usePathname } from "next/navigation";
import { cn } from "../ui/cn.ts";

const TABS = [
  ["", "Overview"],
  ["/agents", "Agents"],
  ["/numbers", "Numbers"],
  ["/trunks", "Trunks"],
  ["/phones", "Phones"],
  ["/providers", "Providers"],
  ["/webhooks", "Webhooks"],
  ["/api-keys", "API keys"],
  ["/calls", "Calls"],
  ["/usage", "Usage"],
  ["/members", "Members"],
] as const;

export function TenantNav({ slug }: { slug: string }) {
  const path = usePathname();
  return (
    <nav aria-label="Tenant" className="-mb-px flex gap-1 overflow-x-auto border-b border-slate-200">
      {TABS.map(([suffix, label]) => {
        const href = `/t/${slug}${suffix}`;
        const current = suffix === "" ? path === href : path.startsWith(href);
        return (
          <Link
            key={label}
            href={href}
            aria-current={current ? "page" : undefined}
            className={cn(
              "whitespace-nowrap border-b-2 px-3 py-2 text-sm font-medium",
              current ? "border-brand-600 text-brand-700" : "border-transparent text-slate-500 hover:text-slate-800",
            )}
          >
            {label}
          </Link>
        );
      })}
    </nav>
  );
}
