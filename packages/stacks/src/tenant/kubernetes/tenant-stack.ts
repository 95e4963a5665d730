// A tenant on Kubernetes: a namespace per tenant with a default-deny NetworkPolicy plus exactly
// the allowances the call path needs, a ResourceQuota and a LimitRange, its Postgres as a
// StatefulSet with a PVC, a Deployment and Service per provider profile that runs as an image,
// the core's Deployment and Service, Secrets, an Ingress for Traefik with the tenant's host, and
// its Asterisk files (as a Secret: they hold trunk and phone passwords) for the shared Asterisk.
// Suspended: every workload at zero replicas, the PVC kept. Deep imports keep synthesis light.
import { DeploymentV1 } from "@cdktf/provider-kubernetes/lib/deployment-v1/index.js";
import { IngressV1 } from "@cdktf/provider-kubernetes/lib/ingress-v1/index.js";
import { LimitRangeV1 } from "@cdktf/provider-kubernetes/lib/limit-range-v1/index.js";
import { NamespaceV1 } from "@cdktf/provider-kubernetes/lib/namespace-v1/index.js";
import { NetworkPolicyV1 } from "@cdktf/provider-kubernetes/lib/network-policy-v1/index.js";
import { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider/index.js";
import { ResourceQuotaV1 } from "@cdktf/provider-kubernetes/lib/resource-quota-v1/index.js";
import { SecretV1 } from "@cdktf/provider-kubernetes/lib/secret-v1/index.js";
import { ServiceV1 } from "@cdktf/provider-kubernetes/lib/service-v1/index.js";
import { StatefulSetV1 } from "@cdktf/provider-kubernetes/lib/stateful-set-v1/index.js";
import { PROVIDER_HOST_PREFIX } from "@dsai/contracts";
import { type App, TerraformOutput, TerraformStack } from "cdktf";
import { z } from "zod";
import { pinProviders } from "../../pin-providers.ts";
import { tenantAsteriskFiles } from "../asterisk-files.ts";
import { DATABASE_HOST, DATABASE_NAME, DATABASE_USER } from "../docker/database.ts";
import { literal } from "../literal.ts";
import { CORE_PORTS, parseTenantStackOptions } from "../options.ts";

/**
 * How tofu reaches the cluster (a kubeconfig file, or an API URL with a bearer token), and
 * whether to wait for rollouts (not in the API-only tests: no kubelet runs there).
 */
export const ZKubernetesTargetSchema = z
  .strictObject({
    configPath: z.string().min(1).optional(),
    host: z.url().optional(),
    token: z.string().min(1).optional(),
    insecure: z.boolean().default(false),
    waitForRollout: z.boolean().default(true),
    /** Namespaces (by their `dsai.role` label) allowed to reach the core. */
    asteriskNamespaceRole: z.string().default("asterisk"),
    ingressNamespaceRole: z.string().default("ingress"),
    storageClass: z.string().optional(),
  })
  .refine((t) => t.configPath !== undefined || (t.host !== undefined && t.token !== undefined), "a kubeconfig path, or host and token");
export type TKubernetesTarget = z.input<typeof ZKubernetesTargetSchema>;

export class KubernetesTenantStack extends TerraformStack {
  constructor(scope: App, id: string, input: unknown, targetInput: TKubernetesTarget) {
    const o = parseTenantStackOptions(input);
    const target = ZKubernetesTargetSchema.parse(targetInput);
    super(scope, id);
    const { desiredState: state, deployment } = o;
    new KubernetesProvider(
      this,
      "kubernetes",
      target.configPath !== undefined
        ? { configPath: target.configPath }
        : { host: target.host, token: target.token, insecure: target.insecure },
    );
    pinProviders(this, ["kubernetes"]);

    const namespace = `dsai-${state.slug}`;
    const replicas = state.status === "active" ? "1" : "0";
    const labels = { "dsai.tenant": state.slug };
    const metadata = (name: string, extra: Record<string, string> = {}) => ({ name, namespace, labels: { ...labels, ...extra } });
    const ns = new NamespaceV1(this, "namespace", { metadata: { name: namespace, labels: { ...labels, "dsai.role": "tenant" } } });
    const inNs = { dependsOn: [ns] };

    // Quota and defaults: a tenant cannot take the cluster.
    new ResourceQuotaV1(this, "quota", {
      metadata: metadata("tenant-quota"),
      spec: {
        hard: {
          pods: "20",
          "requests.cpu": "4",
          "requests.memory": "8Gi",
          "limits.cpu": "8",
          "limits.memory": "16Gi",
          persistentvolumeclaims: "4",
          "requests.storage": "20Gi",
        },
      },
      ...inNs,
    });
    new LimitRangeV1(this, "limits", {
      metadata: metadata("tenant-limits"),
      spec: { limit: [{ type: "Container", default: { cpu: "1", memory: "512Mi" }, defaultRequest: { cpu: "100m", memory: "128Mi" } }] },
      ...inNs,
    });

    const databaseUrl = `postgres://${DATABASE_USER}:${deployment.secrets.databasePassword}@${DATABASE_HOST}:5432/${DATABASE_NAME}`;
    const secrets = new SecretV1(this, "core-secrets", {
      metadata: metadata("core-secrets"),
      data: {
        CORE_DATABASE_URL: literal(databaseUrl),
        CORE_TENANT_TOKEN: deployment.secrets.tenantToken,
        CORE_SECRET_KEY: deployment.secrets.secretKey,
        CORE_PLATFORM_SECRET: deployment.secrets.platformSecret,
        CORE_LICENSE_KEY: deployment.license.key,
        POSTGRES_PASSWORD: deployment.secrets.databasePassword,
      },
      ...inNs,
    });
    const fromSecret = (name: string) => ({ name, valueFrom: { secretKeyRef: { name: secrets.metadata.name, key: name } } });

    // Postgres: a StatefulSet with its claim; the claim outlives suspension.
    new ServiceV1(this, "db-service", {
      metadata: metadata(DATABASE_HOST),
      spec: { clusterIp: "None", selector: { app: "db" }, port: [{ name: "postgres", port: 5432, targetPort: "5432" }] },
      ...inNs,
    });
    new StatefulSetV1(this, "db", {
      metadata: metadata("db", { app: "db" }),
      waitForRollout: target.waitForRollout,
      spec: {
        serviceName: DATABASE_HOST,
        replicas,
        selector: { matchLabels: { app: "db" } },
        template: {
          metadata: { labels: { ...labels, app: "db" } },
          spec: {
            container: [
              {
                name: "postgres",
                image: deployment.images.postgres,
                env: [
                  { name: "POSTGRES_USER", value: DATABASE_USER },
                  { name: "POSTGRES_DB", value: DATABASE_NAME },
                  fromSecret("POSTGRES_PASSWORD"),
                ],
                port: [{ containerPort: 5432, name: "postgres" }],
                volumeMount: [{ name: "data", mountPath: "/var/lib/postgresql/data" }],
                resources: {
                  limits: { cpu: "1", memory: `${deployment.limits.databaseMemoryMiB}Mi` },
                  requests: { cpu: "100m", memory: "128Mi" },
                },
                readinessProbe: { exec: { command: ["pg_isready", "-h", "127.0.0.1", "-q"] }, periodSeconds: 2 },
              },
            ],
          },
        },
        volumeClaimTemplate: [
          {
            metadata: { name: "data", labels },
            spec: {
              accessModes: ["ReadWriteOnce"],
              resources: { requests: { storage: "5Gi" } },
              ...(target.storageClass && { storageClassName: target.storageClass }),
            },
          },
        ],
      },
      ...inNs,
    });

    // Providers that run as images: reachable by the core only, at prov-<profile id>.
    for (const profile of state.providerProfiles) {
      if (profile.runtime.type !== "image") continue;
      const name = `${PROVIDER_HOST_PREFIX}${profile.id}`;
      const app = { app: "provider", provider: profile.id };
      new DeploymentV1(this, `provider-${profile.id}`, {
        metadata: metadata(name, app),
        waitForRollout: target.waitForRollout,
        spec: {
          replicas,
          selector: { matchLabels: app },
          template: {
            metadata: { labels: { ...labels, ...app } },
            spec: {
              container: [
                {
                  name: "provider",
                  image: profile.runtime.image,
                  args: profile.runtime.args,
                  env: [
                    ...Object.entries(profile.runtime.env).map(([n, v]) => ({ name: n, value: literal(v) })),
                    { name: "PROVIDER_HOST", value: "0.0.0.0" },
                    { name: "PROVIDER_PORT", value: String(profile.runtime.port) },
                  ],
                  port: [{ containerPort: profile.runtime.port, name: "avr" }],
                  resources: {
                    limits: { cpu: "1", memory: `${deployment.limits.providerMemoryMiB}Mi` },
                    requests: { cpu: "100m", memory: "128Mi" },
                  },
                },
              ],
            },
          },
        },
        ...inNs,
      });
      new ServiceV1(this, `provider-${profile.id}-service`, {
        metadata: metadata(name),
        spec: { selector: app, port: [{ name: "avr", port: profile.runtime.port, targetPort: String(profile.runtime.port) }] },
        ...inNs,
      });
    }

    // The core.
    const coreApp = { app: "core" };
    new DeploymentV1(this, "core", {
      metadata: metadata("core", coreApp),
      waitForRollout: target.waitForRollout,
      spec: {
        replicas,
        selector: { matchLabels: coreApp },
        template: {
          metadata: { labels: { ...labels, ...coreApp } },
          spec: {
            container: [
              {
                name: "core",
                image: deployment.images.core,
                env: [
                  { name: "CORE_HOST", value: "0.0.0.0" },
                  { name: "CORE_HTTP_PORT", value: String(CORE_PORTS.http) },
                  { name: "CORE_AUDIOSOCKET_PORT", value: String(CORE_PORTS.audioSocket) },
                  { name: "CORE_TENANT_SLUG", value: state.slug },
                  { name: "CORE_LICENSE_URL", value: deployment.license.url },
                  { name: "CORE_LICENSE_ID", value: deployment.license.id },
                  ...["CORE_DATABASE_URL", "CORE_TENANT_TOKEN", "CORE_SECRET_KEY", "CORE_PLATFORM_SECRET", "CORE_LICENSE_KEY"].map(
                    fromSecret,
                  ),
                ],
                port: [
                  { containerPort: CORE_PORTS.http, name: "http" },
                  { containerPort: CORE_PORTS.audioSocket, name: "audiosocket" },
                ],
                resources: {
                  limits: { cpu: "1", memory: `${deployment.limits.coreMemoryMiB}Mi` },
                  requests: { cpu: "200m", memory: "128Mi" },
                },
                readinessProbe: { httpGet: { path: "/healthz", port: String(CORE_PORTS.http) }, periodSeconds: 2 },
              },
            ],
          },
        },
      },
      ...inNs,
    });
    new ServiceV1(this, "core-service", {
      metadata: metadata("core"),
      spec: {
        selector: coreApp,
        port: [
          { name: "http", port: CORE_PORTS.http, targetPort: String(CORE_PORTS.http) },
          { name: "audiosocket", port: CORE_PORTS.audioSocket, targetPort: String(CORE_PORTS.audioSocket) },
        ],
      },
      ...inNs,
    });
    new IngressV1(this, "ingress", {
      metadata: { ...metadata("core"), annotations: { "traefik.ingress.kubernetes.io/router.entrypoints": "web" } },
      spec: {
        ingressClassName: "traefik",
        rule: [
          {
            host: `${state.slug}.${deployment.baseDomain}`,
            http: { path: [{ path: "/", pathType: "Prefix", backend: { service: { name: "core", port: { number: CORE_PORTS.http } } } }] },
          },
        ],
      },
      ...inNs,
    });

    // The tenant's Asterisk files, for the shared Asterisk (a Secret: trunk and phone passwords).
    const files = tenantAsteriskFiles(o);
    new SecretV1(this, "asterisk-files", {
      metadata: metadata("asterisk-files", { "dsai.asterisk-files": "true" }),
      data: { "pjsip.conf": literal(files["pjsip.conf"]), "extensions.conf": literal(files["extensions.conf"]) },
      ...inNs,
    });

    // Network policies: deny everything, then allow the call path and nothing else.
    const policy = (name: string, spec: ConstructorParameters<typeof NetworkPolicyV1>[2]["spec"]) =>
      new NetworkPolicyV1(this, `policy-${name}`, { metadata: metadata(name), spec, ...inNs });
    const dns = {
      to: [{ namespaceSelector: {} }],
      ports: [
        { port: "53", protocol: "UDP" },
        { port: "53", protocol: "TCP" },
      ],
    };
    policy("default-deny", { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
    policy("core", {
      podSelector: { matchLabels: coreApp },
      policyTypes: ["Ingress", "Egress"],
      ingress: [
        {
          from: [{ namespaceSelector: { matchLabels: { "dsai.role": target.asteriskNamespaceRole } } }],
          ports: [
            { port: String(CORE_PORTS.http), protocol: "TCP" },
            { port: String(CORE_PORTS.audioSocket), protocol: "TCP" },
          ],
        },
        {
          from: [{ namespaceSelector: { matchLabels: { "dsai.role": target.ingressNamespaceRole } } }],
          ports: [{ port: String(CORE_PORTS.http), protocol: "TCP" }],
        },
      ],
      egress: [
        dns,
        { to: [{ podSelector: { matchLabels: { app: "db" } } }], ports: [{ port: "5432", protocol: "TCP" }] },
        { to: [{ podSelector: { matchLabels: { app: "provider" } } }] },
        // The License Service and webhooks are outside the cluster.
        {
          to: [
            {
              ipBlock: { cidr: "0.0.0.0/0", except: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16"] },
            },
          ],
          ports: [
            { port: "443", protocol: "TCP" },
            { port: String(new URL(deployment.license.url).port || 443), protocol: "TCP" },
          ],
        },
      ],
    });
    policy("db", {
      podSelector: { matchLabels: { app: "db" } },
      policyTypes: ["Ingress", "Egress"],
      ingress: [{ from: [{ podSelector: { matchLabels: coreApp } }], ports: [{ port: "5432", protocol: "TCP" }] }],
      egress: [dns],
    });
    policy("providers", {
      podSelector: { matchLabels: { app: "provider" } },
      policyTypes: ["Ingress", "Egress"],
      ingress: [{ from: [{ podSelector: { matchLabels: coreApp } }] }],
      // Cloud providers (an LLM API) are outside; tenants opt in by running such an image.
      egress: [
        dns,
        {
          to: [
            {
              ipBlock: { cidr: "0.0.0.0/0", except: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16"] },
            },
          ],
          ports: [{ port: "443", protocol: "TCP" }],
        },
      ],
    });

    new TerraformOutput(this, "tenant_namespace", { value: namespace });
    new TerraformOutput(this, "tenant_host", { value: `${state.slug}.${deployment.baseDomain}` });
    new TerraformOutput(this, "status", { value: state.status });
  }
}
