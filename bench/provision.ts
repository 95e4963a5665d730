// bench:provision — how long a new tenant takes from `apply` to its core answering /healthz on
// the local Docker engine, for 1 tenant and for 5 at once, against the same containers created
// directly through the Docker API (docker CLI) in the same run; and the idle memory of one
// tenant (sum of its containers' RSS). Medians of BENCH_PROVISION_RUNS (default 3).
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../packages/postgres/src/index.ts";
import { createProvisioner } from "../packages/stacks/src/provisioner/provisioner.ts";
import { loadToolchain } from "../packages/stacks/src/toolchain.ts";
import { sampleDeployment } from "../packages/stacks/testing/samples.ts";
import { buildAppImages, buildPostgresImage } from "../scripts/images.ts";
import { median, writeResult } from "./lib.ts";

const RUNS = Number(process.env.BENCH_PROVISION_RUNS ?? 3);
const docker = (args: string[]) => execFileSync("docker", args, { encoding: "utf8" }).trim();
const scratch = mkdtempSync(join(tmpdir(), "dsai-bench-provision-"));
const profileId = "33333333-3333-4333-8333-333333333333";

async function healthy(port: number, deadlineMs = 120_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`core on ${port} not healthy`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

type TImages = { core: string; postgres: string; providers: string };

async function viaTofu(images: TImages, slugs: string[]): Promise<{ seconds: number; ports: number[] }> {
  const provisioner = createProvisioner({ stateRoot: join(scratch, "state"), toolchain: loadToolchain() });
  const ports = await Promise.all(slugs.map(() => freePort()));
  const started = performance.now();
  await Promise.all(
    slugs.map(async (slug, i) => {
      const deployment = {
        ...sampleDeployment({
          asteriskConfDir: join(scratch, "asterisk"),
          images: { core: images.core, postgres: images.postgres },
          publishCoreHttpOn: ports[i],
        }),
      };
      const desiredState = {
        generatorVersion: 2,
        slug,
        status: "active",
        providerProfiles: [
          { id: profileId, name: "espeak", kind: "tts", runtime: { type: "image", image: images.providers, port: 8080, args: ["tts"] } },
        ],
        agents: [{ id: "support", name: "Support", profiles: { tts: profileId } }],
        numbers: [{ number: "+15551000", agentId: "support" }],
      };
      await provisioner.apply({ desiredState, deployment });
      await healthy(ports[i] as number);
    }),
  );
  return { seconds: (performance.now() - started) / 1000, ports };
}

async function destroyViaTofu(slugs: string[]): Promise<void> {
  const provisioner = createProvisioner({ stateRoot: join(scratch, "state"), toolchain: loadToolchain() });
  await Promise.all(slugs.map((slug) => provisioner.destroy(slug)));
}

/** The same objects, created directly with the Docker CLI (the API), as fast as it allows. */
async function direct(images: TImages, slug: string): Promise<number> {
  const port = await freePort();
  const d = sampleDeployment({ asteriskConfDir: "/unused", images: { core: images.core, postgres: images.postgres } });
  const label = ["--label", `dsai.bench=${slug}`];
  // The same least privilege the tenant stack gives every container (least-privilege.ts, process-limit.ts).
  const limits = [
    ...["--memory", "512m", "--memory-swap", "512m", "--cpus", "1.0", "--restart", "unless-stopped"],
    ...["--cap-drop", "ALL", "--security-opt", "no-new-privileges:true", "--read-only", "--pids-limit", "256"],
    ...["--tmpfs", "/tmp:rw,nosuid,nodev,size=64m"],
  ];
  const started = performance.now();
  docker(["network", "create", "--internal", ...label, `${slug}-net`]);
  docker(["network", "create", "--opt", "com.docker.network.bridge.enable_ip_masquerade=false", ...label, `${slug}-edge`]);
  docker(["volume", "create", ...label, `${slug}-pgdata`]);
  docker([
    "run",
    "-d",
    "--name",
    `${slug}-db`,
    ...label,
    ...limits,
    "--network",
    `${slug}-net`,
    "--network-alias",
    "db",
    "--tmpfs",
    "/run/postgresql:rw,nosuid,nodev,uid=100,gid=102,size=64m",
    "-v",
    `${slug}-pgdata:/var/lib/postgresql/data`,
    "-e",
    "POSTGRES_USER=core",
    "-e",
    `POSTGRES_PASSWORD=${d.secrets.databasePassword}`,
    "-e",
    "POSTGRES_DB=tenant",
    images.postgres,
  ]);
  docker([
    "run",
    "-d",
    "--name",
    `${slug}-prov`,
    ...label,
    ...limits,
    "--network",
    `${slug}-net`,
    "--network-alias",
    `prov-${profileId}`,
    "-e",
    "PROVIDER_HOST=0.0.0.0",
    "-e",
    "PROVIDER_PORT=8080",
    images.providers,
    "tts",
  ]);
  // The core needs its database up before it starts (tofu waits for the database's health too).
  for (;;) {
    if (docker(["inspect", "--format", "{{.State.Health.Status}}", `${slug}-db`]) === "healthy") break;
    await new Promise((r) => setTimeout(r, 100));
  }
  docker([
    "create",
    "--name",
    `${slug}-core`,
    ...label,
    ...limits,
    "--network",
    `${slug}-edge`,
    "-p",
    `127.0.0.1:${port}:8080`,
    ...[
      "CORE_HOST=0.0.0.0",
      "CORE_HTTP_PORT=8080",
      "CORE_AUDIOSOCKET_PORT=9092",
      `CORE_DATABASE_URL=postgres://core:${d.secrets.databasePassword}@db:5432/tenant`,
      `CORE_TENANT_SLUG=${slug}`,
      `CORE_TENANT_TOKEN=${d.secrets.tenantToken}`,
      `CORE_SECRET_KEY=${d.secrets.secretKey}`,
      `CORE_PLATFORM_SECRET=${d.secrets.platformSecret}`,
      `CORE_LICENSE_URL=${d.license.url}`,
      `CORE_LICENSE_ID=${d.license.id}`,
      `CORE_LICENSE_KEY=${d.license.key}`,
    ].flatMap((e) => ["-e", e]),
    images.core,
  ]);
  docker(["network", "connect", `${slug}-net`, `${slug}-core`]);
  docker(["start", `${slug}-core`]);
  await healthy(port);
  const seconds = (performance.now() - started) / 1000;
  docker(["rm", "-f", `${slug}-core`, `${slug}-prov`, `${slug}-db`]);
  docker(["network", "rm", `${slug}-net`, `${slug}-edge`]);
  docker(["volume", "rm", `${slug}-pgdata`]);
  return seconds;
}

/** Sum of the resident memory of a tenant's containers, after it has been idle for a while. */
function idleMemoryMiB(slug: string): number {
  const names = docker(["ps", "--filter", `label=dsai.tenant=${slug}`, "--format", "{{.Names}}"])
    .split("\n")
    .filter(Boolean);
  const stats = docker(["stats", "--no-stream", "--format", "{{.MemUsage}}", ...names]).split("\n");
  const mib = (v: string) => {
    const m = /([\d.]+)\s*([KMG]i?B)/.exec(v);
    if (!m) return 0;
    const n = Number(m[1]);
    return m[2]?.startsWith("G") ? n * 1024 : m[2]?.startsWith("K") ? n / 1024 : n;
  };
  return stats.reduce((sum, line) => sum + mib(line.split("/")[0] ?? ""), 0);
}

async function main(): Promise<void> {
  const apps = await buildAppImages();
  const images = { core: apps.core, providers: apps.providers, postgres: await buildPostgresImage() };
  const one: number[] = [];
  const baseline: number[] = [];
  const five: number[] = [];
  let memory = 0;
  try {
    for (let r = 0; r < RUNS; r++) {
      // Side by side, alternating: tofu, then the same objects directly.
      const slug = `bench${r}${randomBytes(2).toString("hex")}`;
      one.push((await viaTofu(images, [slug])).seconds);
      if (r === 0) {
        await new Promise((res) => setTimeout(res, 10_000));
        memory = idleMemoryMiB(slug);
      }
      await destroyViaTofu([slug]);
      baseline.push(await direct(images, `direct${r}${randomBytes(2).toString("hex")}`));
      process.stdout.write(`run ${r + 1}: tofu ${one.at(-1)?.toFixed(1)} s, direct ${baseline.at(-1)?.toFixed(1)} s\n`);
    }
    for (let r = 0; r < RUNS; r++) {
      const slugs = Array.from({ length: 5 }, (_, i) => `five${r}${i}${randomBytes(2).toString("hex")}`);
      five.push((await viaTofu(images, slugs)).seconds);
      await destroyViaTofu(slugs);
      process.stdout.write(`run ${r + 1}: 5 tenants ${five.at(-1)?.toFixed(1)} s\n`);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  const cpuNote = spawnSync("nproc").stdout.toString().trim();
  const file = writeResult(
    "provision",
    {
      one_tenant_ready_s: { value: Number(median(one).toFixed(2)), unit: "s", target: "<= 20" },
      direct_docker_ready_s: { value: Number(median(baseline).toFixed(2)), unit: "s" },
      ratio_to_direct: { value: Number((median(one) / median(baseline)).toFixed(2)), unit: "ratio", target: "<= 3" },
      five_tenants_ready_s: { value: Number(median(five).toFixed(2)), unit: "s", target: "<= 45" },
      idle_memory_mib_per_tenant: { value: Number(memory.toFixed(1)), unit: "MiB", target: "<= 300" },
    },
    `shared machine (${cpuNote} CPUs); medians of ${RUNS} runs; one tenant = Postgres, one provider (espeak TTS) and the core; tofu and the direct baseline alternate in one run; not pinned: the work happens in dockerd, containerd and the containers, which no taskset of this process confines`,
  );
  process.stdout.write(`${readFileSync(file, "utf8")}`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:provision failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
