// The tenant's core: on its private network (database, providers) and the only one of the
// tenant's containers on its edge network, where the shared Asterisk (HTTP to open calls,
// AudioSocket for audio) and Traefik (the tenant API at <slug>.<base domain>, routed by the
// stack's EdgeRoute file, not by labels) reach it.
import { Container } from "@cdktf/provider-docker/lib/container/index.js";
import { Construct } from "constructs";
import { literal } from "../literal.ts";
import { CORE_PORTS } from "../options.ts";
import { leastPrivilege } from "./least-privilege.ts";
import type { TDockerLabels } from "./network.ts";

export class TenantCore extends Construct {
  constructor(
    scope: Construct,
    id: string,
    o: {
      name: string;
      host: string;
      image: string;
      networks: { tenant: string; edge: string; publish?: string };
      env: Record<string, string>;
      publishHttpOn: number | undefined;
      memoryMiB: number;
      cpus: number;
      labels: TDockerLabels;
    },
  ) {
    super(scope, id);
    new Container(this, "container", {
      name: o.name,
      image: o.image,
      env: Object.entries(o.env).map(([k, v]) => literal(`${k}=${v}`)),
      networksAdvanced: [
        { name: o.networks.tenant },
        { name: o.networks.edge, aliases: [o.host] },
        ...(o.networks.publish ? [{ name: o.networks.publish }] : []),
      ],
      ports: o.publishHttpOn ? [{ internal: CORE_PORTS.http, external: o.publishHttpOn, ip: "127.0.0.1" }] : [],
      restart: "unless-stopped",
      ...leastPrivilege(),
      memory: o.memoryMiB,
      // Equal to memory: no swap beyond the limit (Docker would otherwise set twice the limit).
      memorySwap: o.memoryMiB,
      cpus: o.cpus.toFixed(1),
      healthcheck: {
        test: [
          "CMD",
          "node",
          "-e",
          `fetch("http://127.0.0.1:${CORE_PORTS.http}/healthz").then(r=>process.exit(r.ok?0:1),()=>process.exit(1))`,
        ],
        interval: "2s",
        timeout: "3s",
        retries: 30,
      },
      wait: true,
      waitTimeout: 90,
      labels: o.labels,
    });
  }
}
