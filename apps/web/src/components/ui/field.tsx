import { type InputHTMLAttributes, useId } from "react";
import { cn } from "./cn.ts";

/** A labelled input with its hint and its error next to it (announced to screen readers). */
export function Field({
  label,
  error,
  hint,
  className,
  ...input
}: InputHTMLAttributes<HTMLInputElement> & { label: string; error?: string; hint?: React.ReactNode }) {
  const id = useId();
  return (
    <div className={cn("space-y-1.5", className)}>
      <label htmlFor={id} className="block text-sm font-medium text-slate-800">
        {label}
      </label>
      <input
        id={id}
        aria-invalid={Boolean(error) || undefined}
        aria-describedby={error || hint ? `${id}-note` : undefined}
        className={cn(
          "block w-full rounded-md border-0 px-3 py-2 text-sm shadow-sm ring-1 ring-inset placeholder:text-slate-400 focus:ring-2 focus:ring-inset",
          error ? "ring-red-400 focus:ring-red-500" : "ring-slate-300 focus:ring-brand-600",
        )}
        {...input}
      />
      {(error || hint) && (
        <p id={`${id}-note`} role={error ? "alert" : undefined} className={cn("text-sm", error ? "text-red-600" : "text-slate-500")}>
          {error ?? hint}
        </p>
      )}
    </div>
  );
}
