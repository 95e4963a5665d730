// The local platform stack for `npm start`: Traefik and the shared Asterisk on the local Docker
// engine, synthesized into <state dir>/.platform/ and applied with tofu only when the plan
// has changes (a second start applies nothing).
import { existsSync } from "node:fs";
import { join } from "node:path";
import {
  createTofu,
  PlatformStack,
  platformObjectNames,
  synthStack,
  type TPlatformStackOptions,
  type TToolchainResolved,
} from "@dsai/stacks";
import type { App } from "cdktf";

export type TLocalPlatform = {
  containers: string[];
  traefikContainer: string;
  asteriskConfDir: string;
  /** Traefik's configuration folder, where tenants' stacks write their routes. */
  traefikConfDir: string;
  ari: { url: string; user: string; password: string };
};

export async function applyLocalPlatform(o: {
  workDir: string;
  toolchain: TToolchainResolved;
  options: TPlatformStackOptions;
  log: (line: string) => void;
}): Promise<TLocalPlatform> {
  const workDir = o.workDir;
  synthStack(workDir, (app: App) => new PlatformStack(app, "platform", o.options));
  const tofu = createTofu({ workDir, toolchain: o.toolchain, timeoutMs: 10 * 60_000 });
  if (!existsSync(join(workDir, ".terraform"))) {
    o.log("platform stack: tofu init");
    await tofu.init();
  }
  const plan = await tofu.plan();
  if (plan.hasChanges) {
    o.log(`platform stack: applying (${plan.add} to add, ${plan.change} to change, ${plan.remove} to remove)`);
    await tofu.apply();
  } else o.log("platform stack: up to date");
  const outputs = await tofu.output();
  return {
    containers: outputs.containers as string[],
    traefikContainer: platformObjectNames(o.options.name).traefik,
    asteriskConfDir: o.options.asteriskConfDir,
    traefikConfDir: o.options.traefikConfDir,
    ari: { url: String(outputs.ari_url), user: o.options.ari.user, password: o.options.ari.password },
  };
}
