// The smallest stack that proves the whole chain on a Docker engine: a network, a volume and a
// container from the locally built Node base image answering HTTP on a port published on
// 127.0.0.1. Set-up checks and the foundation's integration test apply and destroy it.
import { Container } from "@cdktf/provider-docker/lib/container/index.js";
import { Network } from "@cdktf/provider-docker/lib/network/index.js";
import { DockerProvider } from "@cdktf/provider-docker/lib/provider/index.js";
import { Volume } from "@cdktf/provider-docker/lib/volume/index.js";
import { ZImageSchema } from "@dsai/contracts";
import { type App, TerraformOutput, TerraformStack } from "cdktf";
import { z } from "zod";
import { pinProviders } from "../pin-providers.ts";

export const ZSmokeStackOptionsSchema = z.object({
  /** Names every Docker object; also its `dsai.stack` label, by which tests find leftovers. */
  id: z.string().regex(/^[a-z][a-z0-9-]{2,40}$/, "lowercase letters, digits and '-', 3-41 characters"),
  image: ZImageSchema,
  hostPort: z.number().int().min(1024).max(65535),
});
export type TSmokeStackOptions = z.infer<typeof ZSmokeStackOptionsSchema>;

/** What the container serves: its stack id, so a test knows it reached the right container. */
const SERVER = `require("node:http").createServer((q,s)=>{s.setHeader("content-type","application/json");s.end(JSON.stringify({ok:true,stack:process.env.DSAI_STACK}))}).listen(8080)`;

export class SmokeStack extends TerraformStack {
  constructor(scope: App, options: TSmokeStackOptions) {
    const o = ZSmokeStackOptionsSchema.parse(options);
    super(scope, o.id);
    new DockerProvider(this, "docker", {});
    pinProviders(this, ["docker"]);
    const labels = [{ label: "dsai.stack", value: o.id }];

    const network = new Network(this, "network", {
      name: `${o.id}-net`,
      labels,
      // Published ports need a non-internal bridge; without masquerading, traffic from the
      // container is never rewritten to leave the machine.
      options: { "com.docker.network.bridge.enable_ip_masquerade": "false" },
    });
    const volume = new Volume(this, "data", { name: `${o.id}-data`, labels });
    const container = new Container(this, "web", {
      name: `${o.id}-web`,
      image: o.image,
      command: ["node", "-e", SERVER],
      env: [`DSAI_STACK=${o.id}`],
      labels,
      networksAdvanced: [{ name: network.name }],
      ports: [{ internal: 8080, external: o.hostPort, ip: "127.0.0.1" }],
      volumes: [{ volumeName: volume.name, containerPath: "/data" }],
      mustRun: true,
    });
    new TerraformOutput(this, "url", { value: `http://127.0.0.1:${o.hostPort}/` });
    new TerraformOutput(this, "container_name", { value: container.name });
  }
}
