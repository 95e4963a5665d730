// A provider profile that runs as an image: its container on the tenant network, reachable by
// the core at prov-<profile id> (providerServiceUrl in @dsai/contracts) and by nothing else.
import { Container } from "@cdktf/provider-docker/lib/container/index.js";
import { PROVIDER_HOST_PREFIX, type TProviderProfile } from "@dsai/contracts";
import { Construct } from "constructs";
import { literal } from "../literal.ts";
import { leastPrivilege } from "./least-privilege.ts";
import type { TDockerLabels } from "./network.ts";

export class ProviderService extends Construct {
  constructor(
    scope: Construct,
    id: string,
    o: {
      name: string;
      profile: TProviderProfile & { runtime: { type: "image" } };
      network: string;
      memoryMiB: number;
      cpus: number;
      labels: TDockerLabels;
    },
  ) {
    super(scope, id);
    const { runtime } = o.profile;
    new Container(this, "container", {
      name: o.name,
      image: runtime.image,
      command: runtime.args,
      env: [
        ...Object.entries(runtime.env).map(([k, v]) => literal(`${k}=${v}`)),
        // The AVR services of the providers image read these; other images ignore them.
        "PROVIDER_HOST=0.0.0.0",
        `PROVIDER_PORT=${runtime.port}`,
      ],
      networksAdvanced: [{ name: o.network, aliases: [`${PROVIDER_HOST_PREFIX}${o.profile.id}`] }],
      restart: "unless-stopped",
      ...leastPrivilege(),
      memory: o.memoryMiB,
      // Equal to memory: no swap beyond the limit (Docker would otherwise set twice the limit).
      memorySwap: o.memoryMiB,
      cpus: o.cpus.toFixed(1),
      labels: o.labels,
    });
  }
}
