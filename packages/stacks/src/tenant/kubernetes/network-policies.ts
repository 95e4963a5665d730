// Network policies of a tenant's namespace: deny everything, then allow the call path and
// nothing else — the shared Asterisk's namespace to the core's HTTP and AudioSocket ports, the
// ingress controller's to its HTTP port, the core to its database and providers, DNS, and HTTPS
// outside the cluster (the License Service, webhooks, cloud providers).
import { NetworkPolicyV1 } from "@cdktf/provider-kubernetes/lib/network-policy-v1/index.js";
import { Construct } from "constructs";
import { CORE_PORTS } from "../options.ts";
import type { TenantNamespace } from "./namespace.ts";

/** Never a tenant's egress: this host "0", loopback, private, shared, link-local, multicast and reserved ranges. */
const INTERNAL = [
  "0.0.0.0/8",
  "10.0.0.0/8",
  "100.64.0.0/10",
  "127.0.0.0/8",
  "169.254.0.0/16",
  "172.16.0.0/12",
  "192.168.0.0/16",
  "224.0.0.0/4",
  "240.0.0.0/4",
];
/**
 * Addresses outside the cluster: everything but the internal ranges and the operator's protected
 * networks — the cluster's nodes and its API server, which may well have public addresses.
 */
const outside = (protectedNetworks: string[]) => ({ ipBlock: { cidr: "0.0.0.0/0", except: [...INTERNAL, ...protectedNetworks] } });
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
    o: {
      namespace: TenantNamespace;
      asteriskNamespaceRole: string;
      ingressNamespaceRole: string;
      licensePort: number;
      protectedNetworks: string[];
    },
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
        { to: [outside(o.protectedNetworks)], ports: [tcp(443), tcp(o.licensePort)] },
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
      egress: [DNS, { to: [outside(o.protectedNetworks)], ports: [tcp(443)] }],
    });
  }
}
