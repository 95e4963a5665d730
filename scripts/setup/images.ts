// Base container images, built locally (no registry is needed): a Node runtime image made from
// the host's own node binary and the libraries it links, and a minimal Debian for images that
// need apt packages. Names are configuration: a user with a registry can point at public images.
import { spawn } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { baseImageNames, type TBaseImages } from "../../packages/stacks/src/images.ts";
import type { TSetupConfig } from "./config.ts";
import { probe, run } from "./exec.ts";
import { note } from "./progress.ts";
import { ensureSystemTools, SYSTEM_TOOLS } from "./system-packages.ts";

function imageExists(name: string): boolean {
  return probe("docker", ["image", "inspect", "--format", "{{.Id}}", name]).ok;
}

async function importRootfs(rootfs: string, name: string, changes: string[]): Promise<void> {
  // `docker import` reads the tarball from a pipe: tar | docker import, without a shell.
  const args = ["import", ...changes.flatMap((c) => ["--change", c]), "-", name];
  await new Promise<void>((resolve, reject) => {
    const tarProc = spawn("tar", ["-C", rootfs, "-c", "."], { stdio: ["ignore", "pipe", "inherit"] });
    const dockerProc = spawn("docker", args, { stdio: ["pipe", "ignore", "inherit"] });
    tarProc.stdout.pipe(dockerProc.stdin);
    dockerProc.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`docker ${args.join(" ")} failed (exit ${code})`))));
    tarProc.on("error", reject);
    dockerProc.on("error", reject);
  });
}

/** Shared libraries `ldd` lists for a binary, with the dynamic loader. */
async function sharedLibraries(binary: string): Promise<string[]> {
  const out = await run("ldd", [binary]);
  const libs: string[] = [];
  for (const line of out.split("\n")) {
    const m = /(\/\S+)\s+\(0x/.exec(line);
    if (m?.[1]) libs.push(m[1]);
  }
  return libs;
}

async function buildNodeBase(name: string): Promise<void> {
  const rootfs = mkdtempSync(join(tmpdir(), "dsai-node-base-"));
  try {
    const node = process.execPath;
    const files = [node, ...(await sharedLibraries(node))];
    for (const file of files) {
      const target = join(rootfs, file === node ? "/usr/local/bin/node" : file);
      mkdirSync(dirname(target), { recursive: true });
      copyFileSync(file, target);
    }
    for (const dir of ["tmp", "app", "etc", "home/node"]) mkdirSync(join(rootfs, dir), { recursive: true });
    writeFileSync(join(rootfs, "etc/passwd"), "root:x:0:0:root:/root:/bin/false\nnode:x:1000:1000:node:/home/node:/bin/false\n");
    writeFileSync(join(rootfs, "etc/group"), "root:x:0:\nnode:x:1000:\n");
    writeFileSync(join(rootfs, "etc/nsswitch.conf"), "hosts: files dns\n");
    await run("chmod", ["1777", join(rootfs, "tmp")]);
    await run("chown", ["1000:1000", join(rootfs, "home/node"), join(rootfs, "app")]);
    await importRootfs(rootfs, name, [
      "ENV PATH=/usr/local/bin:/usr/bin:/bin",
      "ENV NODE_ENV=production",
      "WORKDIR /app",
      "USER node",
      'CMD ["node"]',
    ]);
  } finally {
    rmSync(rootfs, { recursive: true, force: true });
  }
}

/** The Debian mirror this machine's apt already uses (so no host name is baked in here). */
function aptMirror(): string {
  const candidates = ["/etc/apt/sources.list.d/debian.sources", "/etc/apt/sources.list"];
  for (const file of candidates) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    const deb822 = /^URIs:\s*(\S+\/debian)\/?\s*$/m.exec(text);
    if (deb822?.[1]) return deb822[1];
    const oneLine = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+\/debian)\/?\s+bookworm\b/m.exec(text);
    if (oneLine?.[1]) return oneLine[1];
  }
  throw new Error("no Debian bookworm mirror found in /etc/apt: set DSAI_IMAGE_DEBIAN_BASE to a Debian image instead");
}

async function buildDebianBase(name: string): Promise<void> {
  await ensureSystemTools(SYSTEM_TOOLS.filter((t) => t.command === "debootstrap"));
  const rootfs = mkdtempSync(join(tmpdir(), "dsai-debian-base-"));
  try {
    note("debootstrap --variant=minbase bookworm (about a minute)");
    await run("debootstrap", ["--variant=minbase", "bookworm", rootfs, aptMirror()]);
    // Keep images small: no apt lists or caches baked in.
    await run("sh", ["-c", `rm -rf "${rootfs}"/var/lib/apt/lists/* "${rootfs}"/var/cache/apt/*.bin`]);
    await importRootfs(rootfs, name, ["ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 'CMD ["bash"]']);
  } finally {
    rmSync(rootfs, { recursive: true, force: true });
  }
}

export async function ensureBaseImages(config: TSetupConfig): Promise<TBaseImages> {
  const names = baseImageNames({ DSAI_IMAGE_NODE_BASE: config.images.nodeBase, DSAI_IMAGE_DEBIAN_BASE: config.images.debianBase });
  if (!imageExists(names.nodeBase)) {
    if (config.images.nodeBase)
      throw new Error(`DSAI_IMAGE_NODE_BASE=${names.nodeBase} is not present in the Docker engine: pull or build it first`);
    note(`building ${names.nodeBase}`);
    await buildNodeBase(names.nodeBase);
  }
  if (!imageExists(names.debianBase)) {
    if (config.images.debianBase)
      throw new Error(`DSAI_IMAGE_DEBIAN_BASE=${names.debianBase} is not present in the Docker engine: pull or build it first`);
    note(`building ${names.debianBase}`);
    await buildDebianBase(names.debianBase);
  }
  return names;
}
