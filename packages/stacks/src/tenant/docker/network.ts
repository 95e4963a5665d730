// The tenant's private network: internal (no route off the machine), so its database and
// providers can talk only to each other and to the core. Only the core also joins the shared
// networks.
import { Network } from "@cdktf/provider-docker/lib/network/index.js";
import { Construct } from "constructs";

export type TDockerLabels = { label: string; value: string }[];

export class TenantNetwork extends Construct {
  readonly name: string;

  constructor(scope: Construct, id: string, o: { name: string; labels: TDockerLabels }) {
    super(scope, id);
    const network = new Network(this, "network", { name: o.name, internal: true, driver: "bridge", labels: o.labels });
    this.name = network.name;
  }
}
