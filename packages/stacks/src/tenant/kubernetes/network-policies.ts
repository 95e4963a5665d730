// Network policies of a tenant's namespace: deny everything, then allow the call path and
// nothing else — the shared Asterisk's namespace to the core's HTTP and AudioSocket ports, the
// ingress controller's to its HTTP port, the core to its database and providers, DNS, and HTTPS
// outside the cluster (the License Service, webhooks, cloud providers).
import { NetworkPolicyV1 } from "@cdktf/provider-kubernetes/lib/network-policy-v1/index.js";
import { Construct } from "constructs";
import { CORE_PORTS } from "../options.ts";
import type { TenantNamespace } from "./namespace.ts";

/** Addresses outside the cluster: everything but the private, shared and link-local ranges. */
const OUTSIDE = {
  ipBlock: { cidr: "0.0.0.0/0", except: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16"] },
};
const DNS = {
  to: [{ namespaceSelector: {} }],
  ports: [
    { port: "53", protocol: "UDP" },
    { port: "53", protocol: "TCP" },
  ],
};
const tcp = (port: number) => ({ port: String(port), protocol: "TCP" });

export class TenantNetworkPolicies extends Construct {
  constructor(
    scope: Construct,
    id: string,
    o: { namespace: TenantNamespace; asteriskNamespaceRole: string; ingressNamespaceRole: string; licensePort: number },
  ) {
    super(scope, id);
    const policy = (name: string, spec: ConstructorParameters<typeof NetworkPolicyV1>[2]["spec"]) =>
      new NetworkPolicyV1(this, name, { metadata: o.namespace.metadata(name), spec, ...o.namespace.inNamespace });
    const core = { podSelector: { matchLabels: { app: "core" } } };
    policy("default-deny", { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
    policy("core", {
      ...core,
      policyTypes: ["Ingress", "Egress"],
      ingress: [
        {
          from: [{ namespaceSelector: { matchLabels: { "dsai.role": o.asteriskNamespaceRole } } }],
          ports: [tcp(CORE_PORTS.http), tcp(CORE_PORTS.audioSocket)],
        },
        { from: [{ namespaceSelector: { matchLabels: { "dsai.role": o.ingressNamespaceRole } } }], ports: [tcp(CORE_PORTS.http)] },
      ],
      egress: [
        DNS,
        { to: [{ podSelector: { matchLabels: { app: "db" } } }], ports: [tcp(5432)] },
        { to: [{ podSelector: { matchLabels: { app: "provider" } } }] },
        { to: [OUTSIDE], ports: [tcp(443), tcp(o.licensePort)] },
      ],
    });
    policy("db", {
      podSelector: { matchLabels: { app: "db" } },
      policyTypes: ["Ingress", "Egress"],
      ingress: [{ from: [core], ports: [tcp(5432)] }],
      egress: [DNS],
    });
    // Cloud providers (an LLM API) are outside; a tenant opts in by running such an image.
    policy("providers", {
      podSelector: { matchLabels: { app: "provider" } },
      policyTypes: ["Ingress", "Egress"],
      ingress: [{ from: [core] }],
      egress: [DNS, { to: [OUTSIDE], ports: [tcp(443)] }],
    });
  }
}
