// The tenant's networks, all with no route off the machine. Private (internal): its database and
// providers, which talk only to each other and to the core. Edge (internal): the core and, connected
// by the provisioner, the platform's shared Asterisk and Traefik — a network per tenant, so no
// tenant's container reaches another's, core included. Being internal, it never becomes a
// platform container's default gateway, which would move that container's published ports onto it.
// Publish (a bridge without masquerading): only the core, when its HTTP port is published on
// 127.0.0.1. Each network's Linux bridge is named with the tenant-bridge prefix, which the host
// firewall drops new connections from (platform/host-firewall.ts): no tenant container reaches
// the host through its network's gateway address.
import { Network } from "@cdktf/provider-docker/lib/network/index.js";
import { Construct } from "constructs";
import { tenantBridgeName } from "../../platform/host-firewall.ts";

export type TDockerLabels = { label: string; value: string }[];

export class TenantNetwork extends Construct {
  readonly name: string;

  constructor(scope: Construct, id: string, o: { name: string; publish?: boolean; labels: TDockerLabels }) {
    super(scope, id);
    const network = new Network(this, "network", {
      name: o.name,
      internal: !o.publish,
      driver: "bridge",
      options: {
        "com.docker.network.bridge.name": tenantBridgeName(o.name),
        ...(o.publish && { "com.docker.network.bridge.enable_ip_masquerade": "false" }),
      },
      labels: o.labels,
    });
    this.name = network.name;
  }
}
