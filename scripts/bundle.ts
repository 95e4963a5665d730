// One app of a checkout bundled into one ES module (esbuild): what its container image runs with
// plain `node`, no tsx and no sources. Shared by `npm run images` and `npm run bench:core`, so the
// benchmark measures the code as it ships.
import { join } from "node:path";
import { build, stop } from "esbuild";

/** Bundles `<root>/apps/<app>/src/main.ts` into `outfile`. */
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
  // esbuild's service process (a Go runtime, whose threads wake on their own) would live as long
  // as this one: beside a benchmark that is a neighbour on its CPU. The next build starts another.
  await stop();
}
