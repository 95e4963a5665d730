// One app of a checkout bundled into one ES module (esbuild): what its container image runs with
// plain `node`, no tsx and no sources. Shared by `npm run images` and `npm run bench:core`, so the
// benchmark measures the code as it ships.
import { copyFileSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { build, stop } from "esbuild";
import { goBuild } from "./setup/toolchain.ts";

/**
 * Files a worker thread loads by path, beside the bundle: esbuild does not follow
 * `new URL(file, import.meta.url)`, and a worker's file is plain JavaScript (no loader runs there).
 */
const WORKER_FILES: Record<"core" | "providers", string[]> = { core: ["src/audiosocket/sender-thread.mjs"], providers: [] };

/**
 * Programs beside the bundle, each a Go module of the app's own (standard library only, so it
 * builds offline; static, so it runs in an image that holds node alone): `sched-slice` gives the
 * frame sender's thread its slice (sender-thread.mjs says why).
 */
const GO_PROGRAMS: Record<"core" | "providers", string[]> = { core: ["sched-slice"], providers: [] };

/** Bundles `<root>/apps/<app>/src/main.ts` into `outfile`, its worker threads' files and programs beside it. */
export async function bundleApp(root: string, app: "core" | "providers", outfile: string): Promise<void> {
  await build({
    // Paths in the bundle are relative to this directory: fixed to the repository, so the same
    // code gives the same bundle (and image tag) whichever directory the build runs from.
    absWorkingDir: root,
    entryPoints: [join(root, "apps", app, "src", "main.ts")],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    legalComments: "none",
    // Optional native add-ons the libraries try and fall back from.
    external: ["pg-native", "bufferutil", "utf-8-validate"],
    // CommonJS dependencies bundled into an ES module still call require().
    banner: { js: "import { createRequire as __dsaiRequire } from 'node:module'; const require = __dsaiRequire(import.meta.url);" },
    logLevel: "error",
  });
  for (const file of WORKER_FILES[app]) {
    const source = join(root, "apps", app, file);
    // An older checkout (a benchmark's baseline) may have none.
    if (existsSync(source)) copyFileSync(source, join(dirname(outfile), file.split("/").at(-1) as string));
  }
  for (const program of GO_PROGRAMS[app]) {
    const module = join(root, "apps", app, program);
    if (!existsSync(module)) continue; // an older checkout's
    await goBuild(module, `dsai/${program}`, "-s -w", join(dirname(outfile), program));
  }
  // esbuild's service process (a Go runtime, whose threads wake on their own) would live as long
  // as this one: beside a benchmark that is a neighbour on its CPU. The next build starts another.
  await stop();
}
