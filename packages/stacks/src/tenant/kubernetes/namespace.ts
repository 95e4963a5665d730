// The tenant's namespace with its ResourceQuota and LimitRange (a tenant cannot take the
// cluster), and the helpers every other object of the tenant is placed with. The namespace
// enforces the Pod Security "restricted" standard: the API server itself refuses any pod of the
// tenant that runs privileged, as root, with capabilities or able to gain privileges.
import { LimitRangeV1 } from "@cdktf/provider-kubernetes/lib/limit-range-v1/index.js";
import { NamespaceV1 } from "@cdktf/provider-kubernetes/lib/namespace-v1/index.js";
import { ResourceQuotaV1 } from "@cdktf/provider-kubernetes/lib/resource-quota-v1/index.js";
import { Construct } from "constructs";

export class TenantNamespace extends Construct {
  readonly name: string;
  readonly labels: Record<string, string>;
  /** Spread into every object of the tenant: created after its namespace. */
  readonly inNamespace: { dependsOn: NamespaceV1[] };

  constructor(scope: Construct, id: string, o: { slug: string }) {
    super(scope, id);
    this.name = `dsai-${o.slug}`;
    this.labels = { "dsai.tenant": o.slug };
    const namespace = new NamespaceV1(this, "namespace", {
      metadata: {
        name: this.name,
        labels: {
          ...this.labels,
          "dsai.role": "tenant",
          "pod-security.kubernetes.io/enforce": "restricted",
          "pod-security.kubernetes.io/enforce-version": "latest",
          "pod-security.kubernetes.io/warn": "restricted",
          "pod-security.kubernetes.io/audit": "restricted",
        },
      },
    });
    this.inNamespace = { dependsOn: [namespace] };
    new ResourceQuotaV1(this, "quota", {
      metadata: this.metadata("tenant-quota"),
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
      ...this.inNamespace,
    });
    new LimitRangeV1(this, "limits", {
      metadata: this.metadata("tenant-limits"),
      spec: { limit: [{ type: "Container", default: { cpu: "1", memory: "512Mi" }, defaultRequest: { cpu: "100m", memory: "128Mi" } }] },
      ...this.inNamespace,
    });
  }

  /** Metadata of an object of the tenant: its name, the namespace, the tenant's labels. */
  metadata(name: string, extra: Record<string, string> = {}) {
    return { name, namespace: this.name, labels: { ...this.labels, ...extra } };
  }
}
