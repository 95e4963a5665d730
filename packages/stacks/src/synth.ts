// Synthesizes one CDKTF stack in-process (no cdktf-cli) into a tofu working directory.
// The working directory keeps its `.terraform/`, lock file and state across synths: only
// `cdk.tf.json` is replaced, atomically, so an interrupted synth never leaves a torn file. The
// stack and its state hold what the platform's stacks are made of (the ARI password, a tenant's
// generated Asterisk files): the directory is the platform user's alone (0700, files 0600).
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App, LocalBackend, PgBackend, type TerraformStack } from "cdktf";

export const STACK_FILE = "cdk.tf.json";
export const STATE_FILE = "terraform.tfstate";

/**
 * Where a stack's state lives: beside it in the working directory (the default), or in Postgres,
 * one schema per stack, so that tenants' runs never wait on each other's state lock and the
 * state outlives the machine (production).
 */
export type TStateBackend = { kind: "local" } | { kind: "pg"; connectionString: string; schema: string };

export function synthStack(
  workDir: string,
  define: (app: App) => TerraformStack,
  backend: TStateBackend = { kind: "local" },
): { file: string; json: unknown } {
  const outdir = mkdtempSync(join(tmpdir(), "dsai-synth-"));
  try {
    const app = new App({ outdir, skipValidation: false });
    const stack = define(app);
    if (backend.kind === "pg") {
      new PgBackend(stack, { connStr: backend.connectionString, schemaName: backend.schema });
    } else {
      // State lives in the working directory itself (cdktf's default path is relative to the
      // process's current directory, which would scatter state files across the repository).
      new LocalBackend(stack, { path: STATE_FILE });
    }
    app.synth();
    const synthesized = readFileSync(join(outdir, "stacks", stack.node.id, STACK_FILE), "utf8");
    mkdirSync(workDir, { recursive: true, mode: 0o700 });
    chmodSync(workDir, 0o700);
    const file = join(workDir, STACK_FILE);
    writeFileSync(`${file}.tmp`, synthesized, { mode: 0o600 });
    renameSync(`${file}.tmp`, file);
    return { file, json: JSON.parse(synthesized) };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
