// The tenant's workloads: Postgres as a StatefulSet with its claim (the claim outlives
// suspension), a Deployment and Service per provider profile that runs as an image (reachable at
// prov-<profile id>), and the core's Deployment, Service and Traefik Ingress for <slug>.<domain>.
// Replicas are zero while the tenant is suspended. Every pod meets the Pod Security "restricted"
// standard its namespace enforces: a numeric non-root user, no capability, no privilege
// escalation, the runtime's seccomp profile, a read-only root with memory-backed folders for
// what it writes, and no service-account token (no tenant pod talks to the Kubernetes API).
import { DeploymentV1, type DeploymentV1SpecTemplateSpecContainer } from "@cdktf/provider-kubernetes/lib/deployment-v1/index.js";
import { IngressV1 } from "@cdktf/provider-kubernetes/lib/ingress-v1/index.js";
import { ServiceV1 } from "@cdktf/provider-kubernetes/lib/service-v1/index.js";
import { StatefulSetV1 } from "@cdktf/provider-kubernetes/lib/stateful-set-v1/index.js";
import { PROVIDER_HOST_PREFIX, type TProviderProfile } from "@dsai/contracts";
import { Construct } from "constructs";
import { DATABASE_HOST, DATABASE_NAME, DATABASE_USER, POSTGRES_USER_IDS } from "../docker/database.ts";
import { literal } from "../literal.ts";
import { CORE_PORTS } from "../options.ts";
import type { TenantNamespace } from "./namespace.ts";

type TWorkload = { namespace: TenantNamespace; replicas: "0" | "1"; waitForRollout: boolean };
type TEnv = { name: string; value?: string; valueFrom?: { secretKeyRef: { name: string; key: string } } };
/** Who a pod runs as. The platform's core and providers images run as nobody (their USER); tenant images are run as it too. */
type TRunAs = { user: number; group: number };
export const NOBODY: TRunAs = { user: 65534, group: 65534 };

/** The pod-level part of "restricted": who the pod runs as, seccomp, no token. */
function restrictedPod(runAs: TRunAs) {
  return {
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    securityContext: {
      runAsNonRoot: true,
      runAsUser: String(runAs.user),
      runAsGroup: String(runAs.group),
      fsGroup: String(runAs.group),
      seccompProfile: { type: "RuntimeDefault" },
    },
  };
}
/**
 * The container-level part, with a memory-backed volume for each folder it writes. runAsNonRoot
 * is repeated here: the provider sends `false` for a container's unset runAsNonRoot, which
 * would override the pod's (the API server's Pod Security admission refused exactly that).
 */
function restrictedContainer(writable: string[]) {
  return {
    securityContext: {
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
    },
    volumeMount: writable.map((path, i) => ({ name: `writable-${i}`, mountPath: path })),
  };
}
const writableVolumes = (writable: string[]) =>
  writable.map((_, i) => ({ name: `writable-${i}`, emptyDir: { medium: "Memory", sizeLimit: "64Mi" } }));

const limits = (memoryMiB: number, cpuRequest: string) => ({
  limits: { cpu: "1", memory: `${memoryMiB}Mi` },
  requests: { cpu: cpuRequest, memory: "128Mi" },
});

const POSTGRES_WRITABLE = ["/tmp", "/run/postgresql"];

export class TenantDatabaseSet extends Construct {
  constructor(
    scope: Construct,
    id: string,
    o: TWorkload & { image: string; memoryMiB: number; password: TEnv; storageClass: string | undefined },
  ) {
    super(scope, id);
    const app = { app: "db" };
    const { namespace } = o;
    new ServiceV1(this, "service", {
      metadata: namespace.metadata(DATABASE_HOST),
      spec: { clusterIp: "None", selector: app, port: [{ name: "postgres", port: 5432, targetPort: "5432" }] },
      ...namespace.inNamespace,
    });
    new StatefulSetV1(this, "postgres", {
      metadata: namespace.metadata("db", app),
      waitForRollout: o.waitForRollout,
      spec: {
        serviceName: DATABASE_HOST,
        replicas: o.replicas,
        selector: { matchLabels: app },
        template: {
          metadata: { labels: { ...namespace.labels, ...app } },
          spec: {
            ...restrictedPod(POSTGRES_USER_IDS),
            volume: writableVolumes(POSTGRES_WRITABLE),
            container: [
              {
                name: "postgres",
                image: o.image,
                env: [{ name: "POSTGRES_USER", value: DATABASE_USER }, { name: "POSTGRES_DB", value: DATABASE_NAME }, o.password],
                port: [{ containerPort: 5432, name: "postgres" }],
                ...restrictedContainer(POSTGRES_WRITABLE),
                volumeMount: [
                  { name: "data", mountPath: "/var/lib/postgresql/data" },
                  ...restrictedContainer(POSTGRES_WRITABLE).volumeMount,
                ],
                resources: limits(o.memoryMiB, "100m"),
                readinessProbe: { exec: { command: ["pg_isready", "-h", "127.0.0.1", "-q"] }, periodSeconds: 2 },
              },
            ],
          },
        },
        volumeClaimTemplate: [
          {
            metadata: { name: "data", labels: namespace.labels },
            spec: {
              accessModes: ["ReadWriteOnce"],
              resources: { requests: { storage: "5Gi" } },
              ...(o.storageClass && { storageClassName: o.storageClass }),
            },
          },
        ],
      },
      ...namespace.inNamespace,
    });
  }
}

/** A Deployment of one container and the Service in front of its ports, both named `name`. */
function deploymentWithService(
  scope: Construct,
  o: TWorkload & {
    name: string;
    app: Record<string, string>;
    container: Omit<DeploymentV1SpecTemplateSpecContainer, "port">;
    ports: { name: string; port: number }[];
  },
): void {
  const { namespace } = o;
  new DeploymentV1(scope, "deployment", {
    metadata: namespace.metadata(o.name, o.app),
    waitForRollout: o.waitForRollout,
    spec: {
      replicas: o.replicas,
      selector: { matchLabels: o.app },
      template: {
        metadata: { labels: { ...namespace.labels, ...o.app } },
        spec: {
          ...restrictedPod(NOBODY),
          volume: writableVolumes(["/tmp"]),
          container: [
            { ...o.container, ...restrictedContainer(["/tmp"]), port: o.ports.map((p) => ({ containerPort: p.port, name: p.name })) },
          ],
        },
      },
    },
    ...namespace.inNamespace,
  });
  new ServiceV1(scope, "service", {
    metadata: namespace.metadata(o.name),
    spec: { selector: o.app, port: o.ports.map((p) => ({ name: p.name, port: p.port, targetPort: String(p.port) })) },
    ...namespace.inNamespace,
  });
}

export class ProviderWorkload extends Construct {
  constructor(
    scope: Construct,
    id: string,
    o: TWorkload & { profile: TProviderProfile & { runtime: { type: "image" } }; memoryMiB: number },
  ) {
    super(scope, id);
    const { runtime } = o.profile;
    deploymentWithService(this, {
      ...o,
      name: `${PROVIDER_HOST_PREFIX}${o.profile.id}`,
      app: { app: "provider", provider: o.profile.id },
      container: {
        name: "provider",
        image: runtime.image,
        args: runtime.args,
        env: [
          ...Object.entries(runtime.env).map(([n, v]) => ({ name: n, value: literal(v) })),
          { name: "PROVIDER_HOST", value: "0.0.0.0" },
          { name: "PROVIDER_PORT", value: String(runtime.port) },
        ],
        resources: limits(o.memoryMiB, "100m"),
      },
      ports: [{ name: "avr", port: runtime.port }],
    });
  }
}

export class CoreWorkload extends Construct {
  constructor(scope: Construct, id: string, o: TWorkload & { image: string; memoryMiB: number; env: TEnv[]; host: string }) {
    super(scope, id);
    const { namespace } = o;
    deploymentWithService(this, {
      ...o,
      name: "core",
      app: { app: "core" },
      container: {
        name: "core",
        image: o.image,
        env: o.env,
        resources: limits(o.memoryMiB, "200m"),
        readinessProbe: { httpGet: { path: "/healthz", port: String(CORE_PORTS.http) }, periodSeconds: 2 },
      },
      ports: [
        { name: "http", port: CORE_PORTS.http },
        { name: "audiosocket", port: CORE_PORTS.audioSocket },
      ],
    });
    new IngressV1(this, "ingress", {
      metadata: { ...namespace.metadata("core"), annotations: { "traefik.ingress.kubernetes.io/router.entrypoints": "web" } },
      spec: {
        ingressClassName: "traefik",
        rule: [
          {
            host: o.host,
            http: { path: [{ path: "/", pathType: "Prefix", backend: { service: { name: "core", port: { number: CORE_PORTS.http } } } }] },
          },
        ],
      },
      ...namespace.inNamespace,
    });
  }
}
