// `npm run images`: builds the container images of the tenant core and the provider services.
// Each app is bundled into one ES module (esbuild), so an image holds node, the bundle and (for
// the providers) Debian's speech packages — no node_modules, no sources. Images are tagged with
// a hash of everything that went into them: an unchanged app is not rebuilt.
import { createHash } from "node:crypto";
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { baseImageNames } from "../packages/stacks/src/images.ts";
import { bundleApp } from "./bundle.ts";
import { run } from "./setup/exec.ts";

const ROOT = join(import.meta.dirname, "..");
const OUT = join(ROOT, ".build", "images");

export type TAppImages = { core: string; providers: string };

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

function contentTag(dir: string, extra: string): string {
  const hash = createHash("sha256").update(extra);
  for (const file of filesUnder(dir).sort()) hash.update(relative(dir, file)).update(readFileSync(file));
  return hash.digest("hex").slice(0, 12);
}

async function imageExists(name: string): Promise<boolean> {
  try {
    await run("docker", ["image", "inspect", name]);
    return true;
  } catch {
    return false;
  }
}

async function buildApp(app: "core" | "providers", log: (line: string) => void): Promise<string> {
  const context = join(OUT, app);
  rmSync(context, { recursive: true, force: true });
  mkdirSync(context, { recursive: true });
  await bundleApp(ROOT, app, join(context, "main.mjs"));
  cpSync(join(ROOT, "apps", app, "image", "Dockerfile"), join(context, "Dockerfile"));
  if (app === "core") cpSync(join(ROOT, "apps", "core", "prisma", "migrations"), join(context, "migrations"), { recursive: true });
  const bases = baseImageNames();
  const name = `dsai/${app}:${contentTag(context, `${bases.nodeBase} ${bases.debianBase}`)}`;
  if (await imageExists(name)) {
    log(`${name} is up to date`);
    return name;
  }
  log(`building ${name} ...`);
  await run("docker", [
    "build",
    "--build-arg",
    `NODE_BASE=${bases.nodeBase}`,
    "--build-arg",
    `DEBIAN_BASE=${bases.debianBase}`,
    "-t",
    name,
    context,
  ]);
  log(`built ${name}`);
  return name;
}

const IMAGES_FILE = join(OUT, "..", "images.json");

/** Adds image names to .build/images.json (the app images and the Asterisk image are built apart). */
function recordImages(images: Record<string, string>): void {
  let known: Record<string, string> = {};
  try {
    known = JSON.parse(readFileSync(IMAGES_FILE, "utf8")) as Record<string, string>;
  } catch {
    // first image recorded
  }
  mkdirSync(dirname(IMAGES_FILE), { recursive: true });
  writeFileSync(IMAGES_FILE, `${JSON.stringify({ ...known, ...images }, null, 2)}\n`);
}

/** Builds (or finds) both images; their names are also written to .build/images.json. */
export async function buildAppImages(log: (line: string) => void = () => {}): Promise<TAppImages> {
  const images = { core: await buildApp("core", log), providers: await buildApp("providers", log) };
  recordImages(images);
  return images;
}

/**
 * An image on the Debian base from a build context, tagged dsai/<repo>:<hash of the context>;
 * built only when that tag is missing, and recorded in .build/images.json.
 */
async function buildOnDebianBase(repo: string, context: string, log: (line: string) => void): Promise<string> {
  const { debianBase } = baseImageNames();
  const name = `dsai/${repo}:${contentTag(context, debianBase)}`;
  if (!(await imageExists(name))) {
    log(`building ${name} ...`);
    await run("docker", ["build", "--build-arg", `DEBIAN_BASE=${debianBase}`, "-t", name, context]);
    log(`built ${name}`);
  }
  recordImages({ [repo]: name });
  return name;
}

/** A fresh build context under .build/images/<name>, filled by `fill`, removed after the build. */
async function withContext(name: string, fill: (context: string) => void, build: (context: string) => Promise<string>): Promise<string> {
  const context = join(OUT, name);
  rmSync(context, { recursive: true, force: true });
  mkdirSync(context, { recursive: true });
  try {
    fill(context);
    return await build(context);
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
}

/** A tenant's Postgres (packages/stacks/images/postgres): Debian's PostgreSQL 15 on the Debian base. */
export function buildPostgresImage(log: (line: string) => void = () => {}): Promise<string> {
  return buildOnDebianBase("postgres", join(ROOT, "packages", "stacks", "images", "postgres"), log);
}

/** Traefik (packages/stacks/images/traefik) around the binary set-up built from the Go module proxy. */
export function buildTraefikImage(traefikBin: string, log: (line: string) => void = () => {}): Promise<string> {
  return withContext(
    "traefik",
    (context) => {
      cpSync(traefikBin, join(context, "traefik"));
      cpSync(join(ROOT, "packages", "stacks", "images", "traefik", "Dockerfile"), join(context, "Dockerfile"));
    },
    (context) => buildOnDebianBase("traefik", context, log),
  );
}

/**
 * The shared Asterisk's image from a prebuilt Asterisk folder (`asterisk-<version>/` as `make
 * install` laid it out): Debian base, runtime libraries, Debian's core sounds. Tagged by content.
 */
export function buildAsteriskImage(prebuiltFolder: string, log: (line: string) => void = () => {}): Promise<string> {
  return withContext(
    "asterisk",
    (context) => {
      for (const part of ["sbin", "lib", join("var", "lib", "asterisk")]) {
        cpSync(join(prebuiltFolder, part), join(context, "asterisk", part), { recursive: true, verbatimSymlinks: true });
      }
      cpSync(join(ROOT, "asterisk", "prebuilt.Dockerfile"), join(context, "Dockerfile"));
    },
    (context) => buildOnDebianBase("asterisk", context, log),
  );
}

if (process.argv[1] && import.meta.filename === process.argv[1]) {
  buildAppImages((line) => process.stdout.write(`images: ${line}\n`)).then(
    (images) => process.stdout.write(`${JSON.stringify(images)}\n`),
    (err: Error) => {
      process.stderr.write(`images failed: ${err.message}\n`);
      process.exit(1);
    },
  );
}
