// Runs tofu (or terraform) on one working directory: init from the offline plugin mirror, plan
// to a saved plan file, apply that exact plan, destroy, outputs. plan/apply/destroy run with
// `-json`, whose event stream is handed to the caller line by line (live progress in the UI)
// and whose error diagnostics become the message of a TofuError.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { z } from "zod";
import type { TToolchainResolved } from "./toolchain.ts";

/** One line of tofu's machine-readable UI (`-json`), the fields DSAI reads. */
export const ZTofuEventSchema = z.looseObject({
  "@level": z.string(),
  "@message": z.string(),
  type: z.string(),
  diagnostic: z.looseObject({ severity: z.string(), summary: z.string(), detail: z.string().optional() }).optional(),
  changes: z.looseObject({ add: z.number(), change: z.number(), remove: z.number(), operation: z.string() }).optional(),
  /** planned_change, apply_start, apply_complete, apply_errored: which resource, which action. */
  change: z.looseObject({ resource: z.looseObject({ addr: z.string() }), action: z.string() }).optional(),
  hook: z
    .looseObject({ resource: z.looseObject({ addr: z.string() }), action: z.string().optional(), elapsed_seconds: z.number().optional() })
    .optional(),
});
export type TTofuEvent = z.infer<typeof ZTofuEventSchema>;

export type TPlannedChange = { address: string; action: string };
export type TPlanSummary = { add: number; change: number; remove: number; hasChanges: boolean; resources: TPlannedChange[] };

export class TofuError extends Error {
  constructor(
    readonly command: string,
    readonly exitCode: number | null,
    readonly diagnostics: string[],
    output: string,
  ) {
    const detail = diagnostics.length > 0 ? diagnostics.join("\n") : output.trim().split("\n").slice(-15).join("\n");
    super(`${command} failed (exit ${exitCode}):\n${detail}`);
  }
}

export type TTofuOptions = {
  workDir: string;
  toolchain: TToolchainResolved;
  /** Every `-json` event of plan/apply/destroy, in order. */
  onEvent?: (event: TTofuEvent) => void;
  /** Extra environment for the providers (e.g. DOCKER_HOST, KUBECONFIG). */
  env?: NodeJS.ProcessEnv;
  /** Kills a command that runs longer (a hung provider must not hang provisioning). */
  timeoutMs?: number;
};

export const PLAN_FILE = "tfplan";

/**
 * Inits of this process run one after another: they install providers from the local mirror and
 * gain nothing from running at once (with a shared plugin cache they even failed: "mkdir
 * .../plugin-cache/...: file exists"; set-up no longer configures one). Plans and applies still
 * run in parallel.
 */
let initsInOrder: Promise<unknown> = Promise.resolve();

export type TTofu = ReturnType<typeof createTofu>;

/**
 * A state lock is waited for, not refused: when a worker dies mid-apply its tofu child lives on
 * and holds the lock until it ends; the run picked up again then proceeds from that state.
 */
const LOCK_TIMEOUT = "-lock-timeout=5m";

export function createTofu(options: TTofuOptions) {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...options.env,
    TF_CLI_CONFIG_FILE: options.toolchain.cliConfigFile,
    TF_IN_AUTOMATION: "1",
    TF_INPUT: "0",
    CHECKPOINT_DISABLE: "1",
  };

  function run(args: string[], json: boolean): Promise<{ stdout: string; events: TTofuEvent[] }> {
    const command = `${options.toolchain.kind} ${args.join(" ")}`;
    return new Promise((resolve, reject) => {
      const child = spawn(options.toolchain.tofuBin, args, { cwd: options.workDir, env, stdio: ["ignore", "pipe", "pipe"] });
      const events: TTofuEvent[] = [];
      const diagnostics: string[] = [];
      let stdout = "";
      let stderr = "";
      const timer = setTimeout(() => child.kill("SIGTERM"), options.timeoutMs ?? 15 * 60_000);
      const lines = createInterface({ input: child.stdout });
      lines.on("line", (line) => {
        stdout += `${line}\n`;
        if (!json) return;
        let parsed: unknown;
        try {
          parsed = JSON.parse(line);
        } catch {
          return; // a provider may print plain text; it stays in stdout for the error message
        }
        const event = ZTofuEventSchema.safeParse(parsed);
        if (!event.success) return;
        events.push(event.data);
        const d = event.data.diagnostic;
        if (d?.severity === "error") diagnostics.push(d.detail ? `${d.summary}: ${d.detail}` : d.summary);
        options.onEvent?.(event.data);
      });
      child.stderr.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      child.on("error", (err) => {
        clearTimeout(timer);
        reject(new TofuError(command, null, [], err.message));
      });
      child.on("close", (code) => {
        clearTimeout(timer);
        // `plan -detailed-exitcode` answers 2 for "changes present": a success.
        const ok = code === 0 || (code === 2 && args.includes("-detailed-exitcode"));
        if (ok) resolve({ stdout, events });
        else reject(new TofuError(command, code, diagnostics, `${stderr}\n${stdout}`));
      });
    });
  }

  return {
    /** Providers come from the local mirror named in the CLI config: no network. */
    async init(): Promise<void> {
      const mine = initsInOrder.catch(() => {}).then(() => run(["init", "-input=false", "-no-color"], false));
      initsInOrder = mine;
      await mine;
    },

    /** Plans into PLAN_FILE and returns what would change. */
    async plan(opts: { destroy?: boolean; refreshOnly?: boolean } = {}): Promise<TPlanSummary> {
      const args = ["plan", "-input=false", LOCK_TIMEOUT, "-json", "-detailed-exitcode", `-out=${PLAN_FILE}`];
      if (opts.destroy) args.push("-destroy");
      // What changed outside tofu since the last apply (drift), without planning any change.
      if (opts.refreshOnly) args.push("-refresh-only");
      const { events } = await run(args, true);
      const summary = events.find((e) => e.type === "change_summary")?.changes;
      const counts = { add: summary?.add ?? 0, change: summary?.change ?? 0, remove: summary?.remove ?? 0 };
      const resources = events
        // A refresh-only plan reports what drifted; a normal plan what it would change (it may
        // also report drift of computed attributes, which is not a change to make).
        .filter((e) => e.type === (opts.refreshOnly ? "resource_drift" : "planned_change") && e.change)
        .map((e) => ({ address: e.change?.resource.addr ?? "", action: e.change?.action ?? "" }))
        .sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
      return { ...counts, hasChanges: counts.add + counts.change + counts.remove > 0, resources };
    },

    /** Applies exactly the plan saved by plan(), never a fresh one. */
    async apply(): Promise<void> {
      await run(["apply", "-input=false", LOCK_TIMEOUT, "-json", PLAN_FILE], true);
    },

    async destroy(): Promise<void> {
      await run(["destroy", "-input=false", LOCK_TIMEOUT, "-json", "-auto-approve"], true);
    },

    async output(): Promise<Record<string, unknown>> {
      const { stdout } = await run(["output", "-json", "-no-color"], false);
      const raw = z.record(z.string(), z.object({ value: z.unknown() })).parse(JSON.parse(stdout || "{}"));
      return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, v.value]));
    },
  };
}
