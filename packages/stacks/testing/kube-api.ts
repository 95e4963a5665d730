// A real Kubernetes API for tests, the envtest way: etcd, kube-apiserver and
// kube-controller-manager built from the Go module proxy by set-up, started on 127.0.0.1 with a
// bearer token of system:masters. The controller manager runs the namespace controller and the
// garbage collector (without them a deleted namespace stays Terminating) and the resource quota
// controller (the kubernetes provider waits for a quota's status). No kubelet: objects are
// validated and stored, pods never run.
import { type ChildProcess, spawn } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "@dsai/postgres";
import type { TToolchainResolved } from "../src/toolchain.ts";

export type TKubeApi = {
  host: string;
  token: string;
  /** One API call; answers the status and the parsed JSON body. */
  call(method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }>;
  stop(): Promise<void>;
};

export type TKubeApiBins = { etcd: string; apiserver: string; controllerManager: string };

/** The binaries set-up built for a test Kubernetes API, or undefined when it has not (the caller says why it skips). */
export function kubeApiBins(toolchain: TToolchainResolved): TKubeApiBins | undefined {
  const { etcd, "kube-apiserver": apiserver, "kube-controller-manager": controllerManager } = toolchain.services;
  return etcd && apiserver && controllerManager ? { etcd, apiserver, controllerManager } : undefined;
}

export async function startKubeApi(bins: TKubeApiBins): Promise<TKubeApi> {
  const dir = mkdtempSync(join(tmpdir(), "dsai-kube-"));
  const [etcdPort, peerPort, metricsPort, apiPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const token = randomBytes(24).toString("hex");
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const saKey = join(dir, "sa.key");
  writeFileSync(saKey, privateKey.export({ type: "pkcs1", format: "pem" }), { mode: 0o600 });
  writeFileSync(join(dir, "tokens.csv"), `${token},dsai-test,dsai-test,system:masters\n`, { mode: 0o600 });
  const host = `https://127.0.0.1:${apiPort}`;
  writeFileSync(
    join(dir, "kubeconfig"),
    `apiVersion: v1\nkind: Config\nclusters: [{name: test, cluster: {server: "${host}", insecure-skip-tls-verify: true}}]\nusers: [{name: test, user: {token: "${token}"}}]\ncontexts: [{name: test, context: {cluster: test, user: test}}]\ncurrent-context: test\n`,
    { mode: 0o600 },
  );
  mkdirSync(join(dir, "certs"));
  const children: ChildProcess[] = [];
  const logs: Record<string, string> = {};
  const start = (name: string, bin: string, args: string[]) => {
    const child = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"] });
    logs[name] = "";
    const keep = (d: Buffer) => {
      logs[name] = `${logs[name]}${d.toString()}`.slice(-8_000);
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    children.push(child);
    return child;
  };
  start("etcd", bins.etcd, [
    "--name=default",
    `--data-dir=${join(dir, "etcd")}`,
    `--listen-client-urls=http://127.0.0.1:${etcdPort}`,
    `--advertise-client-urls=http://127.0.0.1:${etcdPort}`,
    `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
    `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
    `--initial-cluster=default=http://127.0.0.1:${peerPort}`,
    `--listen-metrics-urls=http://127.0.0.1:${metricsPort}`,
  ]);
  start("kube-apiserver", bins.apiserver, [
    `--etcd-servers=http://127.0.0.1:${etcdPort}`,
    "--bind-address=127.0.0.1",
    "--advertise-address=127.0.0.1",
    `--secure-port=${apiPort}`,
    `--cert-dir=${join(dir, "certs")}`,
    "--service-account-issuer=https://kubernetes.default.svc",
    `--service-account-key-file=${saKey}`,
    `--service-account-signing-key-file=${saKey}`,
    `--token-auth-file=${join(dir, "tokens.csv")}`,
    "--service-cluster-ip-range=10.96.0.0/16",
    "--authorization-mode=RBAC",
  ]);

  const call: TKubeApi["call"] = (method, path, body) =>
    new Promise((resolve, reject) => {
      const req = request(
        `${host}${path}`,
        { method, rejectUnauthorized: false, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" } },
        (res) => {
          let text = "";
          res.on("data", (d: Buffer) => {
            text += d.toString();
          });
          res.on("end", () => {
            let parsed: Record<string, unknown> = {};
            try {
              parsed = JSON.parse(text) as Record<string, unknown>;
            } catch {
              parsed = { text };
            }
            resolve({ status: res.statusCode ?? 0, body: parsed });
          });
        },
      );
      req.on("error", reject);
      req.end(body === undefined ? undefined : JSON.stringify(body));
    });
  const stop = async () => {
    for (const child of children.reverse()) {
      child.kill("SIGTERM");
      await new Promise<void>((r) => (child.exitCode !== null ? r() : child.once("exit", () => r())));
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 60_000;
  for (;;) {
    const ready = await call("GET", "/readyz").then(
      (r) => r.status === 200,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline || children.some((c) => c.exitCode !== null)) {
      const why = Object.entries(logs)
        .map(([n, l]) => `--- ${n}\n${l.split("\n").slice(-15).join("\n")}`)
        .join("\n");
      await stop();
      throw new Error(`the Kubernetes API did not become ready:\n${why}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  start("kube-controller-manager", bins.controllerManager, [
    `--kubeconfig=${join(dir, "kubeconfig")}`,
    "--controllers=namespace,garbagecollector,serviceaccount-token,resourcequota",
    "--leader-elect=false",
    `--service-account-private-key-file=${saKey}`,
    "--secure-port=0",
  ]);
  return { host, token, call, stop };
}
