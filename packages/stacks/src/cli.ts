// `npm run stacks -- <list|synth|plan|apply|destroy|drift> --tenant <slug> [--file tenant.json]
// [--target docker|kubernetes] [--json]`: the provisioner for operators. tenant.json holds what the platform
// passes: { "desiredState": ..., "deployment": ... }. People get a plan summary and a progress
// bar; --json prints one JSON object per event and one for the result.
// Exit codes: 0 done; 1 the run failed (tofu's diagnostics are printed); 2 bad usage or input.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createAsteriskControl, type TAsteriskControl } from "@dsai/asterisk";
import { ZSlugSchema } from "@dsai/contracts";
import { z } from "zod";
import type { TProvisionEvent } from "./provisioner/progress.ts";
import { createProvisioner } from "./provisioner/provisioner.ts";
import { TenantStackInputError } from "./tenant/options.ts";
import type { TPlanSummary } from "./tofu.ts";
import { loadToolchain } from "./toolchain.ts";

const COMMANDS = ["list", "synth", "plan", "apply", "destroy", "drift"] as const;
const USAGE = `usage: npm run stacks -- <${COMMANDS.join("|")}> --tenant <slug> [--file tenant.json] [--target docker|kubernetes] [--json]`;

const ZEnvSchema = z.object({
  DSAI_STATE_DIR: z.string().min(1).optional(),
  /** Keep tenants' state in this Postgres (a schema per tenant) instead of their working directories. */
  DSAI_STATE_DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "a postgres:// URL")
    .optional(),
  /** The cluster of --target kubernetes. */
  KUBECONFIG: z.string().min(1).optional(),
  /** The shared Asterisk's ARI, to reload changed tenant files; without it nothing is reloaded. */
  DSAI_ARI_URL: z.url().optional(),
  DSAI_ARI_USER: z.string().min(1).optional(),
  DSAI_ARI_PASSWORD: z.string().min(1).optional(),
});

class UsageError extends Error {}

function parse(argv: string[]) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      tenant: { type: "string" },
      file: { type: "string" },
      target: { type: "string", default: "docker" },
      json: { type: "boolean", default: false },
    },
  });
  const command = positionals[0] as (typeof COMMANDS)[number] | undefined;
  if (!command || !COMMANDS.includes(command) || positionals.length > 1) throw new UsageError(USAGE);
  if (values.target !== "docker" && values.target !== "kubernetes")
    throw new UsageError(`--target ${values.target}: docker or kubernetes\n${USAGE}`);
  if (command !== "list") {
    if (!values.tenant || !ZSlugSchema.safeParse(values.tenant).success)
      throw new UsageError(`--tenant <slug> is required (a DNS label)\n${USAGE}`);
    if (command !== "destroy" && !values.file) throw new UsageError(`--file tenant.json is required for ${command}\n${USAGE}`);
  }
  return { command, tenant: values.tenant ?? "", file: values.file, json: values.json, target: values.target as "docker" | "kubernetes" };
}

function readInput(file: string, slug: string): unknown {
  let input: { desiredState?: { slug?: unknown } };
  try {
    input = JSON.parse(readFileSync(file, "utf8")) as typeof input;
  } catch (err) {
    throw new UsageError(`${file}: ${(err as Error).message}`);
  }
  if (input.desiredState?.slug !== slug)
    throw new UsageError(`${file} is the desired state of ${String(input.desiredState?.slug)}, not of --tenant ${slug}`);
  return input;
}

function bar(percent: number): string {
  const filled = Math.round(percent / 5);
  return `[${"#".repeat(filled)}${".".repeat(20 - filled)}] ${String(percent).padStart(3)}%`;
}

function printPlan(plan: TPlanSummary): void {
  process.stdout.write(`plan: ${plan.add} to add, ${plan.change} to change, ${plan.remove} to destroy\n`);
  for (const r of plan.resources) process.stdout.write(`  ${r.action.padEnd(8)} ${r.address}\n`);
}

async function main(): Promise<number> {
  const args = parse(process.argv.slice(2));
  const env = ZEnvSchema.parse(process.env);
  let control: TAsteriskControl | undefined;
  if (env.DSAI_ARI_URL && env.DSAI_ARI_USER && env.DSAI_ARI_PASSWORD) {
    control = await createAsteriskControl({ url: env.DSAI_ARI_URL, user: env.DSAI_ARI_USER, password: env.DSAI_ARI_PASSWORD, attempts: 3 });
  }
  if (args.target === "kubernetes" && !env.KUBECONFIG)
    throw new UsageError("--target kubernetes needs KUBECONFIG naming the cluster's kubeconfig file");
  const provisioner = createProvisioner({
    target: args.target === "kubernetes" ? { kind: "kubernetes", cluster: { configPath: env.KUBECONFIG as string } } : { kind: "docker" },
    ...(env.DSAI_STATE_DATABASE_URL && { stateBackend: { kind: "pg", connectionString: env.DSAI_STATE_DATABASE_URL } }),
    stateRoot: env.DSAI_STATE_DIR ?? join(import.meta.dirname, "..", "..", "..", "terraform-state"),
    toolchain: loadToolchain(),
    ...(control && { asterisk: control }),
  });
  const out = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);
  const onEvent = (e: TProvisionEvent) => {
    if (args.json) return out(e);
    if (e.type === "phase") process.stderr.write(`${e.phase} ...\n`);
    if (e.type === "progress") process.stderr.write(`${bar(e.percent)} ${e.done}/${e.total}\n`);
    if (e.type === "resource" && e.state !== "started") process.stderr.write(`  ${e.state} ${e.address}\n`);
    if (e.type === "diagnostic") process.stderr.write(`${e.severity}: ${e.summary}${e.detail ? `: ${e.detail}` : ""}\n`);
    if (e.type === "reloaded") process.stderr.write(`reloaded ${e.modules.join(", ")}\n`);
  };
  try {
    switch (args.command) {
      case "list": {
        const tenants = provisioner.list();
        if (args.json) out({ tenants });
        else process.stdout.write(tenants.length ? `${tenants.join("\n")}\n` : "no tenants\n");
        return 0;
      }
      case "synth": {
        const result = provisioner.synth(readInput(args.file as string, args.tenant));
        if (args.json) out(result);
        else process.stdout.write(`synthesized into ${result.workDir}\n`);
        return 0;
      }
      case "plan":
      case "drift": {
        const input = readInput(args.file as string, args.tenant);
        const plan = args.command === "plan" ? await provisioner.plan(input, { onEvent }) : await provisioner.drift(input, { onEvent });
        if (args.json) out({ plan });
        else printPlan(plan);
        return 0;
      }
      case "apply": {
        const result = await provisioner.apply(readInput(args.file as string, args.tenant), { onEvent });
        if (args.json) out(result);
        else {
          printPlan(result.plan);
          process.stdout.write(`applied; outputs ${JSON.stringify(result.outputs)}\n`);
        }
        return 0;
      }
      case "destroy": {
        const result = await provisioner.destroy(args.tenant, { onEvent });
        if (args.json) out(result);
        else process.stdout.write(`destroyed ${args.tenant}\n`);
        return 0;
      }
      default:
        throw new UsageError(USAGE);
    }
  } finally {
    await control?.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    const usage = err instanceof UsageError || err instanceof TenantStackInputError;
    process.stderr.write(`stacks: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(usage ? 2 : 1);
  },
);
