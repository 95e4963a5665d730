// The infrastructure toolchain that set-up resolved (scripts/setup/toolchain.ts): which tofu
// (or terraform) to run, its offline CLI config, and the provider versions stacks must pin.
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { z } from "zod";

export const ZToolchainResolvedSchema = z.object({
  tofuBin: z.string().min(1),
  kind: z.enum(["tofu", "terraform"]),
  version: z.string(),
  cliConfigFile: z.string().min(1),
  pluginMirror: z.string().min(1),
  providers: z.record(z.string(), z.object({ source: z.string(), version: z.string() })),
  /** Built binaries of the platform's services (traefik) by name. */
  services: z.record(z.string(), z.string()).default({}),
});
export type TToolchainResolved = z.infer<typeof ZToolchainResolvedSchema>;

export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.DSAI_CACHE_DIR ?? join(homedir(), ".cache", "dsai");
}

/** Reads `<cache>/toolchain/resolved.json`; tells the user to run set-up when it is missing. */
export function loadToolchain(env: NodeJS.ProcessEnv = process.env): TToolchainResolved {
  const file = join(cacheDir(env), "toolchain", "resolved.json");
  let raw: string;
  try {
    raw = readFileSync(file, "utf8");
  } catch {
    throw new Error(`no resolved toolchain at ${file}: run \`npm run setup\` first`);
  }
  return ZToolchainResolvedSchema.parse(JSON.parse(raw));
}
