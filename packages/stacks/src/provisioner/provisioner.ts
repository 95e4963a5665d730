// The provisioner: a tenant's desired state and deployment become running infrastructure. Each
// run validates its input (nothing is synthesized from bad input), takes the tenant's run lock,
// synthesizes the tenant stack into terraform-state/<slug>/, and runs tofu there — plan (a
// summary by resource), apply (typed progress from tofu's event stream), destroy, drift (a
// refresh-only plan). After an apply that changed the tenant's Asterisk files, only the modules
// of the changed files are reloaded through ARI; a destroy removes the tenant's Asterisk folder,
// reloads, and removes its working directory.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { MODULE_OF_FILE, type TAsteriskControl } from "@dsai/asterisk";
import { ZSlugSchema } from "@dsai/contracts";
import type { App } from "cdktf";
import { z } from "zod";
import { synthStack } from "../synth.ts";
import { DockerTenantStack } from "../tenant/docker/tenant-stack.ts";
import { KubernetesTenantStack, type TKubernetesTarget } from "../tenant/kubernetes/tenant-stack.ts";
import { parseTenantStackOptions, type TTenantStackOptions, tenantObjectNames } from "../tenant/options.ts";
import { createTofu, type TPlanSummary } from "../tofu.ts";
import type { TToolchainResolved } from "../toolchain.ts";
import { connectPlatform, disconnectPlatform } from "./edge.ts";
import { limitProcesses } from "./process-limit.ts";
import { progressTracker, type TProvisionEvent } from "./progress.ts";
import { acquireRunLock } from "./run-lock.ts";

/** What a destroy needs after the input is gone: kept beside the state. */
const FACTS_FILE = "dsai-tenant.json";
/** Hashes of the tenant's Asterisk files as Asterisk last loaded them. */
const RELOADED_FILE = "dsai-asterisk-loaded.json";
const ZFactsSchema = z.object({ slug: ZSlugSchema, asteriskConfDir: z.string(), platformContainers: z.array(z.string()).default([]) });

export type TProvisionerOptions = {
  /** Parent of the tenants' working directories (the repository's terraform-state/). */
  stateRoot: string;
  toolchain: TToolchainResolved;
  /** The shared Asterisk's control (ARI): reloads after changed files. Without it, nothing is reloaded. */
  asterisk?: TAsteriskControl;
  /** Where tenants run: the local Docker engine (default) or a Kubernetes cluster. */
  target?: { kind: "docker" } | { kind: "kubernetes"; cluster: TKubernetesTarget };
  /** Where tenants' state lives: the working directory (default) or Postgres (a schema per tenant). */
  stateBackend?: { kind: "local" } | { kind: "pg"; connectionString: string };
  /** Environment of the providers (DOCKER_HOST, KUBECONFIG). */
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
};

export type TRunOptions = { onEvent?: (event: TProvisionEvent) => void };

/** The Postgres schema holding a tenant's state (pg backend): slugs are DNS labels, '-' becomes '_'. */
export function stateSchemaOf(slug: string): string {
  return `dsai_tenant_${ZSlugSchema.parse(slug).replaceAll("-", "_")}`;
}
export type TApplyResult = { plan: TPlanSummary; reloaded: string[]; outputs: Record<string, unknown> };

const FILES = Object.keys(MODULE_OF_FILE) as (keyof typeof MODULE_OF_FILE)[];

export function createProvisioner(o: TProvisionerOptions) {
  // One run per tenant within this process too (the lock file covers other processes).
  const running = new Map<string, Promise<unknown>>();
  const workDirOf = (slug: string) => join(o.stateRoot, ZSlugSchema.parse(slug));
  const tofuFor = (slug: string, emit?: (e: TProvisionEvent) => void, total = 0) =>
    createTofu({
      workDir: workDirOf(slug),
      toolchain: o.toolchain,
      env: o.env,
      timeoutMs: o.timeoutMs,
      onEvent: emit ? progressTracker(total, emit) : undefined,
    });

  async function exclusive<T>(slug: string, action: string, fn: () => Promise<T>): Promise<T> {
    const previous = running.get(slug);
    const next = (async () => {
      await previous?.catch(() => {});
      const lock = acquireRunLock(workDirOf(slug), slug, action);
      try {
        return await fn();
      } finally {
        lock.release();
      }
    })();
    running.set(slug, next);
    try {
      return await next;
    } finally {
      if (running.get(slug) === next) running.delete(slug);
    }
  }

  function synth(options: TTenantStackOptions): void {
    const { slug } = options.desiredState;
    const workDir = workDirOf(slug);
    const target = o.target ?? { kind: "docker" };
    const backend = o.stateBackend ?? { kind: "local" };
    synthStack(
      workDir,
      (app: App) =>
        target.kind === "kubernetes"
          ? new KubernetesTenantStack(app, `tenant-${slug}`, options, target.cluster)
          : new DockerTenantStack(app, `tenant-${slug}`, options),
      backend.kind === "pg" ? { ...backend, schema: stateSchemaOf(slug) } : backend,
    );
    const facts = { slug, asteriskConfDir: options.deployment.asteriskConfDir, platformContainers: options.deployment.platformContainers };
    writeFileSync(join(workDir, FACTS_FILE), JSON.stringify(facts), { mode: 0o600 });
  }

  async function prepare(input: unknown, emit: (e: TProvisionEvent) => void) {
    const options = parseTenantStackOptions(input);
    const { slug } = options.desiredState;
    emit({ type: "phase", phase: "synth" });
    synth(options);
    if (!existsSync(join(workDirOf(slug), ".terraform"))) {
      emit({ type: "phase", phase: "init" });
      await tofuFor(slug).init();
    }
    return options;
  }

  /** The tenant's Asterisk files as hashes (the files hold passwords; the record keeps none). */
  const tenantFiles = (asteriskConfDir: string, slug: string) =>
    Object.fromEntries(
      FILES.map((f) => {
        const file = join(asteriskConfDir, "tenants", slug, f);
        return [f, existsSync(file) ? createHash("sha256").update(readFileSync(file)).digest("hex") : undefined];
      }),
    ) as Record<(typeof FILES)[number], string | undefined>;

  /**
   * Reloads the modules of the tenant's files that differ from what Asterisk last loaded (recorded
   * in the working directory after each successful reload): a reload that failed — ARI down
   * after an apply — is retried by the next run even though tofu then changes nothing.
   */
  async function reloadChanged(slug: string, asteriskConfDir: string, emit: (e: TProvisionEvent) => void): Promise<string[]> {
    if (!o.asterisk) return [];
    const recordFile = join(workDirOf(slug), RELOADED_FILE);
    const loaded = existsSync(recordFile) ? (JSON.parse(readFileSync(recordFile, "utf8")) as Record<string, string | null>) : {};
    const now = tenantFiles(asteriskConfDir, slug);
    const changed = FILES.filter((f) => (now[f] ?? null) !== (loaded[f] ?? null));
    if (changed.length === 0) return [];
    emit({ type: "phase", phase: "reload" });
    const modules = [...new Set(changed.map((f) => MODULE_OF_FILE[f]))];
    for (const module of modules) await o.asterisk.reloadModule(module);
    writeFileSync(recordFile, JSON.stringify(Object.fromEntries(FILES.map((f) => [f, now[f] ?? null]))), { mode: 0o600 });
    emit({ type: "reloaded", modules });
    return modules;
  }

  return {
    workDirOf,

    /** Tenants that have a working directory (provisioned, or a run left one). */
    list(): string[] {
      if (!existsSync(o.stateRoot)) return [];
      return readdirSync(o.stateRoot)
        .filter((d) => ZSlugSchema.safeParse(d).success && existsSync(join(o.stateRoot, d, FACTS_FILE)))
        .sort();
    },

    /** Synthesizes only (validation and the stack's JSON), for inspection. */
    synth(input: unknown): { workDir: string } {
      const options = parseTenantStackOptions(input);
      synth(options);
      return { workDir: workDirOf(options.desiredState.slug) };
    },

    async plan(input: unknown, run: TRunOptions = {}): Promise<TPlanSummary> {
      const emit = run.onEvent ?? (() => {});
      const slug = parseTenantStackOptions(input).desiredState.slug;
      return exclusive(slug, "plan", async () => {
        await prepare(input, emit);
        emit({ type: "phase", phase: "plan" });
        return tofuFor(slug, emit).plan();
      });
    },

    async apply(input: unknown, run: TRunOptions = {}): Promise<TApplyResult> {
      const emit = run.onEvent ?? (() => {});
      const slug = parseTenantStackOptions(input).desiredState.slug;
      return exclusive(slug, "apply", async () => {
        const options = await prepare(input, emit);
        emit({ type: "phase", phase: "plan" });
        const plan = await tofuFor(slug, emit).plan();
        const tofu = tofuFor(slug, emit, plan.resources.length);
        if (plan.hasChanges) {
          emit({ type: "phase", phase: "apply" });
          await tofu.apply();
        }
        if ((o.target?.kind ?? "docker") === "docker") {
          await connectPlatform(
            tenantObjectNames(slug).edgeNetwork,
            options.deployment.platformContainers,
            { ...process.env, ...o.env },
            options.deployment.edgeAliases,
          );
          await limitProcesses(slug, { ...process.env, ...o.env });
        }
        const reloaded = await reloadChanged(slug, options.deployment.asteriskConfDir, emit);
        const outputs = await tofu.output();
        emit({ type: "phase", phase: "done" });
        return { plan, reloaded, outputs };
      });
    },

    /** Changes made outside tofu since the last apply (a refresh-only plan). */
    async drift(input: unknown, run: TRunOptions = {}): Promise<TPlanSummary> {
      const emit = run.onEvent ?? (() => {});
      const slug = parseTenantStackOptions(input).desiredState.slug;
      return exclusive(slug, "drift", async () => {
        await prepare(input, emit);
        emit({ type: "phase", phase: "plan" });
        return tofuFor(slug, emit).plan({ refreshOnly: true });
      });
    },

    /** Destroys what the last apply created (from the working directory's own config and state). */
    async destroy(slug: string, run: TRunOptions = {}): Promise<{ reloaded: string[] }> {
      const emit = run.onEvent ?? (() => {});
      const workDir = workDirOf(slug);
      if (!existsSync(join(workDir, FACTS_FILE))) return { reloaded: [] }; // nothing was ever applied
      return exclusive(slug, "destroy", async () => {
        const facts = ZFactsSchema.parse(JSON.parse(readFileSync(join(workDir, FACTS_FILE), "utf8")));
        if (!existsSync(join(workDir, ".terraform"))) await tofuFor(slug).init();
        const plan = await tofuFor(slug).plan({ destroy: true });
        emit({ type: "phase", phase: "destroy" });
        await disconnectPlatform(tenantObjectNames(slug).edgeNetwork, facts.platformContainers, { ...process.env, ...o.env });
        await tofuFor(slug, emit, plan.resources.length).destroy();
        rmSync(join(facts.asteriskConfDir, "tenants", slug), { recursive: true, force: true });
        const reloaded = await reloadChanged(slug, facts.asteriskConfDir, emit);
        // The lock file lives in the working directory: removed with it (release is then a no-op).
        rmSync(workDir, { recursive: true, force: true });
        emit({ type: "phase", phase: "done" });
        return { reloaded };
      });
    },
  };
}
export type TProvisioner = ReturnType<typeof createProvisioner>;
