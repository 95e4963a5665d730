import { cn } from "./cn.ts";

const TONES: Record<string, string> = {
  active: "bg-emerald-50 text-emerald-700 ring-emerald-600/20",
  succeeded: "bg-emerald-50 text-emerald-700 ring-emerald-600/20",
  suspended: "bg-amber-50 text-amber-800 ring-amber-600/20",
  failed: "bg-red-50 text-red-700 ring-red-600/20",
  deleted: "bg-slate-100 text-slate-600 ring-slate-500/20",
};

/** A status as a pill; statuses in progress (provisioning, suspending, running, ...) are blue. */
export function StatusBadge({ status }: { status: string }) {
  return (
    <span
      data-status={status}
      className={cn(
        "inline-flex items-center rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset",
        TONES[status] ?? "bg-brand-50 text-brand-700 ring-brand-600/20",
      )}
    >
      {status}
    </span>
  );
}
