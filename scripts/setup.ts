// `npm run setup`: installs or checks everything DSAI needs, then records what it resolved.
// Idempotent: a second run finds everything in place and finishes in seconds.
import { ensureHostFirewall, HOST_FIREWALL_CHAIN } from "../packages/stacks/src/platform/host-firewall.ts";
import { buildAppImages, buildPostgresImage, buildTraefikImage } from "./images.ts";
import { ensureAsteriskImage, ensureTestAsterisk } from "./setup/asterisk.ts";
import { readSetupConfig } from "./setup/config.ts";
import { ensureDockerEngine } from "./setup/docker-engine.ts";
import { ensureBaseImages } from "./setup/images.ts";
import { ensurePrismaClients } from "./setup/prisma.ts";
import { note, step } from "./setup/progress.ts";
import { ensureSystemTools, SYSTEM_TOOLS } from "./setup/system-packages.ts";
import { ensureToolchain } from "./setup/toolchain.ts";

async function main(): Promise<void> {
  const started = performance.now();
  const config = readSetupConfig();
  await step("system tools (docker, chromium, debootstrap, speech, sipp)", () =>
    ensureSystemTools(
      SYSTEM_TOOLS.filter(
        (t) =>
          // go is needed only when something must be built; it is checked there.
          t.command !== "go" &&
          !(t.command === "dockerd" && config.dockerHost) &&
          !(t.command === "chromium" && config.chromium) &&
          !(t.command === "debootstrap" && config.images.debianBase),
      ),
    ),
  );
  await step("Docker engine", () => ensureDockerEngine(config));
  await step("host firewall (no tenant container reaches this machine)", async () => {
    // A remote engine's host is its operator's to protect: its containers never reach this one.
    if (config.dockerHost) return note(`DOCKER_HOST is set: install the ${HOST_FIREWALL_CHAIN} rules on that engine's host`);
    const { families, added } = await ensureHostFirewall();
    note(`${HOST_FIREWALL_CHAIN} in ${families.join(", ")}${added > 0 ? ` (${added} rules added)` : ""}`);
  });
  const toolchain = await step("OpenTofu, providers (offline mirror), Traefik and the Kubernetes test binaries", () =>
    ensureToolchain(config),
  );
  await step("base images", () => ensureBaseImages(config));
  await step("Prisma clients", () => ensurePrismaClients(config));
  const asterisk = await step("Asterisk for the tests", () => ensureTestAsterisk(config));
  await step("Asterisk image", () => ensureAsteriskImage(config, asterisk));
  await step("tenant images (core, providers, Postgres)", async () => {
    await buildAppImages(note);
    return buildPostgresImage(note);
  });
  await step("Traefik image", async () => {
    const bin = toolchain.services.traefik;
    if (!bin) throw new Error("no Traefik binary in the resolved toolchain");
    return buildTraefikImage(bin, note);
  });
  process.stdout.write(`setup: ready in ${((performance.now() - started) / 1000).toFixed(1)} s (cache: ${config.cacheDir})\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`\nsetup failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
