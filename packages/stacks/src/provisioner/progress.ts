// Typed progress of a provisioning run, from tofu's `-json` event stream: which phase, which
// resource started or finished (with the share of the plan done), and diagnostics in words.
import type { TTofuEvent } from "../tofu.ts";

export type TProvisionEvent =
  | { type: "phase"; phase: "synth" | "init" | "plan" | "apply" | "destroy" | "reload" | "done" }
  | { type: "resource"; address: string; action: string; state: "started" | "finished" | "errored"; elapsedSeconds?: number }
  | { type: "progress"; done: number; total: number; percent: number }
  | { type: "diagnostic"; severity: "error" | "warning"; summary: string; detail?: string }
  | { type: "reloaded"; modules: string[] };

/** Turns tofu events into provisioning events, counting finished resources against `total`. */
export function progressTracker(total: number, emit: (event: TProvisionEvent) => void) {
  let done = 0;
  return (event: TTofuEvent): void => {
    const hook = event.hook;
    if (hook && (event.type === "apply_start" || event.type === "apply_complete" || event.type === "apply_errored")) {
      const state = event.type === "apply_start" ? "started" : event.type === "apply_complete" ? "finished" : "errored";
      emit({
        type: "resource",
        address: hook.resource.addr,
        action: hook.action ?? "",
        state,
        ...(hook.elapsed_seconds !== undefined && { elapsedSeconds: hook.elapsed_seconds }),
      });
      if (state !== "started") {
        done += 1;
        const of = Math.max(total, done);
        emit({ type: "progress", done, total: of, percent: Math.round((done / of) * 100) });
      }
    }
    const d = event.diagnostic;
    if (event.type === "diagnostic" && d && (d.severity === "error" || d.severity === "warning")) {
      emit({ type: "diagnostic", severity: d.severity, summary: d.summary, ...(d.detail && { detail: d.detail }) });
    }
  };
}
