export function ProgressBar({ percent, label }: { percent: number; label: string }) {
  const value = Math.max(0, Math.min(100, Math.round(percent)));
  return (
    <div
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={value}
      className="h-2 w-full rounded-full bg-slate-200"
    >
      <div className="h-2 rounded-full bg-brand-600 transition-[width] duration-500" style={{ width: `${value}%` }} />
    </div>
  );
}
