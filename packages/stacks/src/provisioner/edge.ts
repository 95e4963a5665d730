// A tenant's edge network joins its core to the platform's shared Asterisk and Traefik. Those
// containers belong to the platform stack (which ignores their network list), so the
// provisioner connects them through the Docker API after an apply and disconnects them before a
// destroy (Docker refuses to remove a network with containers on it). Both are idempotent.
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const exec = promisify(execFile);

async function connected(network: string, env: NodeJS.ProcessEnv): Promise<string[] | undefined> {
  try {
    const { stdout } = await exec("docker", ["network", "inspect", "--format", "{{range .Containers}}{{.Name}}\n{{end}}", network], {
      env,
    });
    return stdout.split("\n").filter(Boolean);
  } catch {
    return undefined; // no such network
  }
}

/** Connects the containers; `aliases` are extra names a container answers to on this network. */
export async function connectPlatform(
  network: string,
  containers: string[],
  env: NodeJS.ProcessEnv = process.env,
  aliases: Record<string, string[]> = {},
): Promise<string[]> {
  const present = (await connected(network, env)) ?? [];
  const added: string[] = [];
  for (const container of containers.filter((c) => !present.includes(c))) {
    const names = (aliases[container] ?? []).flatMap((a) => ["--alias", a]);
    await exec("docker", ["network", "connect", ...names, network, container], { env });
    added.push(container);
  }
  return added;
}

export async function disconnectPlatform(network: string, containers: string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const present = await connected(network, env);
  if (!present) return;
  for (const container of containers.filter((c) => present.includes(c))) {
    await exec("docker", ["network", "disconnect", "--force", network, container], { env });
  }
}
