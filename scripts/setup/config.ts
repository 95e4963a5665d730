// Set-up configuration, read once from the environment (nothing else in scripts/ reads process.env).
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { z } from "zod";

const ZSetupEnvSchema = z.object({
  DSAI_CACHE_DIR: z.string().min(1).optional(),
  /** A tofu/terraform executable to use, or the word `build` to force the pinned OpenTofu build. */
  DSAI_TOFU: z.string().min(1).optional(),
  /** Bridge subnet of a dockerd that set-up starts (never applied to an engine that already runs). */
  DSAI_DOCKER_BIP: z
    .string()
    .regex(/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/, "expected an address with prefix, e.g. 172.30.253.1/24")
    .default("172.30.253.1/24"),
  DSAI_DOCKER_POOL: z
    .string()
    .regex(/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/, "expected a subnet, e.g. 172.30.0.0/17")
    .default("172.30.0.0/17"),
  DSAI_IMAGE_NODE_BASE: z.string().min(1).optional(),
  /** An engine to use instead of starting one (Docker's own variable). */
  DOCKER_HOST: z.string().min(1).optional(),
  /** A Chromium executable other than Debian's /usr/bin/chromium. */
  DSAI_CHROMIUM: z.string().min(1).optional(),
  DSAI_IMAGE_DEBIAN_BASE: z.string().min(1).optional(),
  /** A real Asterisk for the tests, with its module and data folders when not the compiled-in ones. */
  ASTERISK_BIN: z.string().min(1).optional(),
  ASTERISK_MODDIR: z.string().min(1).optional(),
  ASTERISK_DATADIR: z.string().min(1).optional(),
  /** An image of the shared Asterisk to use instead of building dsai/asterisk from the prebuilt build. */
  DSAI_IMAGE_ASTERISK: z.string().min(1).optional(),
  /** The prebuilt Asterisk archive (default: ../shared/asterisk/ beside the repository). */
  DSAI_ASTERISK_ARCHIVE: z.string().min(1).optional(),
});

export type TSetupConfig = {
  repoRoot: string;
  cacheDir: string;
  tofuOverride: string | undefined;
  dockerBip: string;
  dockerPool: string;
  dockerHost: string | undefined;
  chromium: string | undefined;
  images: { nodeBase: string | undefined; debianBase: string | undefined };
  asterisk: {
    bin: string | undefined;
    modDir: string | undefined;
    dataDir: string | undefined;
    archive: string;
    image: string | undefined;
  };
};

export function readSetupConfig(env: NodeJS.ProcessEnv = process.env): TSetupConfig {
  const parsed = ZSetupEnvSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new Error(`invalid set-up configuration:\n${lines.join("\n")}`);
  }
  const e = parsed.data;
  return {
    repoRoot: resolve(import.meta.dirname, "../.."),
    cacheDir: resolve(e.DSAI_CACHE_DIR ?? join(homedir(), ".cache", "dsai")),
    tofuOverride: e.DSAI_TOFU,
    dockerBip: e.DSAI_DOCKER_BIP,
    dockerPool: e.DSAI_DOCKER_POOL,
    dockerHost: e.DOCKER_HOST,
    chromium: e.DSAI_CHROMIUM,
    images: { nodeBase: e.DSAI_IMAGE_NODE_BASE, debianBase: e.DSAI_IMAGE_DEBIAN_BASE },
    asterisk: {
      bin: e.ASTERISK_BIN,
      modDir: e.ASTERISK_MODDIR,
      dataDir: e.ASTERISK_DATADIR,
      image: e.DSAI_IMAGE_ASTERISK,
      archive: resolve(
        e.DSAI_ASTERISK_ARCHIVE ?? join(import.meta.dirname, "../../../shared/asterisk/asterisk-22.10.1-bookworm-amd64.tar.xz"),
      ),
    },
  };
}
