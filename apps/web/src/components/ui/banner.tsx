import { cn } from "./cn.ts";

/** A message across the page: something the user must know (a service down, a failed run). */
export function Banner({ tone = "error", children }: { tone?: "error" | "info"; children: React.ReactNode }) {
  return (
    <div
      role={tone === "error" ? "alert" : "status"}
      className={cn(
        "rounded-md px-4 py-3 text-sm",
        tone === "error" ? "bg-red-50 text-red-800 ring-1 ring-red-200" : "bg-brand-50 text-brand-700",
      )}
    >
      {children}
    </div>
  );
}
