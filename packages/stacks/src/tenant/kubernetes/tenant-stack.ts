// A tenant on Kubernetes: a namespace per tenant with a default-deny NetworkPolicy plus exactly
// the allowances the call path needs, a ResourceQuota and a LimitRange, its Postgres as a
// StatefulSet with a PVC, a Deployment and Service per provider profile that runs as an image,
// the core's Deployment and Service, Secrets, an Ingress for Traefik with the tenant's host, and
// its Asterisk files (as a Secret: they hold trunk and phone passwords) for the shared Asterisk.
// Suspended: every workload at zero replicas, the PVC kept. Deep imports keep synthesis light.
import { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider/index.js";
import { SecretV1 } from "@cdktf/provider-kubernetes/lib/secret-v1/index.js";
import { ZCidrSchema } from "@dsai/contracts";
import { type App, TerraformOutput, TerraformStack } from "cdktf";
import { z } from "zod";
import { pinProviders } from "../../pin-providers.ts";
import { tenantAsteriskFiles } from "../asterisk-files.ts";
import { DATABASE_HOST, DATABASE_NAME, DATABASE_USER } from "../docker/database.ts";
import { literal } from "../literal.ts";
import { CORE_PORTS, parseTenantStackOptions } from "../options.ts";
import { TenantNamespace } from "./namespace.ts";
import { TenantNetworkPolicies } from "./network-policies.ts";
import { CoreWorkload, ProviderWorkload, TenantDatabaseSet } from "./workloads.ts";

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
    /**
     * The cluster's node addresses and its API server's, kept out of every tenant's egress (the
     * internal ranges always are): on a cloud they are often public addresses.
     */
    protectedNetworks: z
      .array(ZCidrSchema.refine((c) => !c.includes(":"), "an IPv4 network without a port"))
      .max(32)
      .default([]),
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

    const namespace = new TenantNamespace(this, "namespace", { slug: state.slug });
    const replicas = state.status === "active" ? "1" : "0";
    const workload = { namespace, replicas, waitForRollout: target.waitForRollout } as const;

    const databaseUrl = `postgres://${DATABASE_USER}:${deployment.secrets.databasePassword}@${DATABASE_HOST}:5432/${DATABASE_NAME}`;
    const secrets = new SecretV1(this, "core-secrets", {
      metadata: namespace.metadata("core-secrets"),
      data: {
        CORE_DATABASE_URL: literal(databaseUrl),
        CORE_TENANT_TOKEN: deployment.secrets.tenantToken,
        CORE_SECRET_KEY: deployment.secrets.secretKey,
        CORE_PLATFORM_SECRET: deployment.secrets.platformSecret,
        CORE_LICENSE_KEY: deployment.license.key,
        POSTGRES_PASSWORD: deployment.secrets.databasePassword,
      },
      ...namespace.inNamespace,
    });
    const fromSecret = (name: string) => ({ name, valueFrom: { secretKeyRef: { name: secrets.metadata.name, key: name } } });

    new TenantDatabaseSet(this, "database", {
      ...workload,
      image: deployment.images.postgres,
      memoryMiB: deployment.limits.databaseMemoryMiB,
      password: fromSecret("POSTGRES_PASSWORD"),
      storageClass: target.storageClass,
    });
    for (const profile of state.providerProfiles) {
      if (profile.runtime.type !== "image") continue;
      new ProviderWorkload(this, `provider-${profile.id}`, {
        ...workload,
        profile: { ...profile, runtime: profile.runtime },
        memoryMiB: deployment.limits.providerMemoryMiB,
      });
    }
    new CoreWorkload(this, "core", {
      ...workload,
      image: deployment.images.core,
      memoryMiB: deployment.limits.coreMemoryMiB,
      host: `${state.slug}.${deployment.baseDomain}`,
      env: [
        { name: "CORE_HOST", value: "0.0.0.0" },
        { name: "CORE_HTTP_PORT", value: String(CORE_PORTS.http) },
        { name: "CORE_AUDIOSOCKET_PORT", value: String(CORE_PORTS.audioSocket) },
        { name: "CORE_TENANT_SLUG", value: state.slug },
        { name: "CORE_LICENSE_URL", value: deployment.license.url },
        { name: "CORE_LICENSE_ID", value: deployment.license.id },
        ...["CORE_DATABASE_URL", "CORE_TENANT_TOKEN", "CORE_SECRET_KEY", "CORE_PLATFORM_SECRET", "CORE_LICENSE_KEY"].map(fromSecret),
      ],
    });

    // The tenant's Asterisk files, for the shared Asterisk (a Secret: trunk and phone passwords).
    const files = tenantAsteriskFiles(o);
    new SecretV1(this, "asterisk-files", {
      metadata: namespace.metadata("asterisk-files", { "dsai.asterisk-files": "true" }),
      data: { "pjsip.conf": literal(files["pjsip.conf"]), "extensions.conf": literal(files["extensions.conf"]) },
      ...namespace.inNamespace,
    });

    new TenantNetworkPolicies(this, "policies", {
      namespace,
      asteriskNamespaceRole: target.asteriskNamespaceRole,
      ingressNamespaceRole: target.ingressNamespaceRole,
      licensePort: Number(new URL(deployment.license.url).port || 443),
      protectedNetworks: target.protectedNetworks,
    });

    new TerraformOutput(this, "tenant_namespace", { value: namespace.name });
    new TerraformOutput(this, "tenant_host", { value: `${state.slug}.${deployment.baseDomain}` });
    new TerraformOutput(this, "status", { value: state.status });
  }
}
