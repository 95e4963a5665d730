// The local platform on Docker: its networks (the Asterisk network, where ARI listens on
// Asterisk's fixed address; Traefik's), Traefik, and the shared Asterisk with its configuration
// directory (written by this stack, tenants' folders written by theirs). Traefik takes its routes
// only from files the platform writes (its file provider): this stack's routes to services of
// this machine, and each tenant stack's route to its core. It has no Docker provider and no
// Docker socket, so no container's labels — an image of a tenant's choosing carries its own —
// can add, change or shadow a route. Each tenant's core is reached on the tenant's own edge
// network, which the provisioner connects these two containers to. Ports are published on
// 127.0.0.1 only.
import { Container } from "@cdktf/provider-docker/lib/container/index.js";
import { Network } from "@cdktf/provider-docker/lib/network/index.js";
import { DockerProvider } from "@cdktf/provider-docker/lib/provider/index.js";
import { File } from "@cdktf/provider-local/lib/file/index.js";
import { LocalProvider } from "@cdktf/provider-local/lib/provider/index.js";
import { type App, TerraformOutput, TerraformStack } from "cdktf";
import { pinProviders } from "../pin-providers.ts";
import { PlatformAsteriskConfig } from "./asterisk-config.ts";
import { hostGatewayOf, platformObjectNames, ZPlatformStackOptionsSchema } from "./options.ts";

/** Traefik's dynamic configuration (JSON is YAML) routing each host to a port of this machine. */
function hostRoutesConfig(routes: { name: string; host: string; port: number }[], gateway: string) {
  return {
    http: {
      routers: Object.fromEntries(
        routes.map((r) => [`host-${r.name}`, { rule: `Host(\`${r.host}\`)`, service: `host-${r.name}`, entryPoints: ["web"] }]),
      ),
      services: Object.fromEntries(
        routes.map((r) => [`host-${r.name}`, { loadBalancer: { servers: [{ url: `http://${gateway}:${r.port}` }] } }]),
      ),
    },
  };
}

/** Asterisk's folder of DSAI recordings (MixMonitor writes dsai/<slug>/<call id>.wav under monitor/). */
const RECORDINGS_IN_CONTAINER = "/var/spool/asterisk/monitor/dsai";

export class PlatformStack extends TerraformStack {
  constructor(scope: App, id: string, input: unknown) {
    const o = ZPlatformStackOptionsSchema.parse(input);
    super(scope, id);
    new DockerProvider(this, "docker", {});
    new LocalProvider(this, "local", {});
    pinProviders(this, ["docker", "local"]);
    const names = platformObjectNames(o.name);
    const labels = [{ label: "dsai.platform", value: o.name }];
    // No masquerading: nothing on these networks reaches off the machine unless an operator
    // opts in (real SIP trunks need it; see the README).
    const bridge = { "com.docker.network.bridge.enable_ip_masquerade": "false" };

    const asteriskNetwork = new Network(this, "asterisk-network", {
      name: names.asteriskNetwork,
      driver: "bridge",
      options: bridge,
      ipamConfig: [{ subnet: o.asteriskNetwork.subnet }],
      labels,
    });
    const traefikNetwork = new Network(this, "traefik-network", {
      name: names.traefikNetwork,
      driver: "bridge",
      options: bridge,
      ...(o.traefikNetwork && { ipamConfig: [{ subnet: o.traefikNetwork.subnet, gateway: hostGatewayOf(o.traefikNetwork.subnet) }] }),
      labels,
    });
    // Routes to services of this machine: written here, watched by Traefik beside the tenants'.
    if (o.hostRoutes.length > 0 && o.traefikNetwork)
      new File(this, "traefik-host-routes", {
        filename: `${o.traefikConfDir}/host-routes.yml`,
        filePermission: "0644",
        directoryPermission: "0755",
        content: JSON.stringify(hostRoutesConfig(o.hostRoutes, hostGatewayOf(o.traefikNetwork.subnet)), null, 2),
      });

    new Container(this, "traefik", {
      name: names.traefik,
      image: o.images.traefik,
      command: [
        "--entrypoints.web.address=:80",
        "--ping=true",
        "--ping.entrypoint=web",
        "--providers.file.directory=/etc/traefik/dynamic",
        "--providers.file.watch=true",
      ],
      volumes: [{ hostPath: o.traefikConfDir, containerPath: "/etc/traefik/dynamic", readOnly: true }],
      networksAdvanced: [{ name: traefikNetwork.name }],
      ports: [{ internal: 80, external: o.ports.http, ip: "127.0.0.1" }],
      restart: "unless-stopped",
      // The provisioner connects it to each tenant's edge network: not this stack's to undo.
      lifecycle: { ignoreChanges: ["networks_advanced"] },
      memory: 256,
      memorySwap: 256,
      labels,
    });

    const config = new PlatformAsteriskConfig(this, "asterisk-config", {
      dir: o.asteriskConfDir,
      bindAddress: o.asteriskNetwork.asteriskAddress,
      ari: o.ari,
      ...(o.media && { media: { ...o.media, sipPort: o.ports.sip } }),
    });
    const rtpPorts = o.media
      ? Array.from({ length: o.media.rtpPorts.last - o.media.rtpPorts.first + 1 }, (_, i) => (o.media?.rtpPorts.first ?? 0) + i)
      : [];
    new Container(this, "asterisk", {
      name: names.asterisk,
      image: o.images.asterisk,
      // Group 0 reads the configuration (files 0640 root:root); the recordings folder's group
      // lets it write recordings there; the process stays unprivileged.
      groupAdd: [...new Set(["0", ...(o.recordings ? [String(o.recordings.group)] : [])])],
      volumes: [
        { hostPath: o.asteriskConfDir, containerPath: "/etc/asterisk", readOnly: true },
        ...(o.recordings ? [{ hostPath: o.recordings.dir, containerPath: RECORDINGS_IN_CONTAINER }] : []),
      ],
      networksAdvanced: [{ name: asteriskNetwork.name, ipv4Address: o.asteriskNetwork.asteriskAddress }],
      ports: [
        { internal: 5060, external: o.ports.sip, ip: "127.0.0.1", protocol: "udp" },
        { internal: 8088, external: o.ports.ari, ip: "127.0.0.1" },
        ...rtpPorts.map((port) => ({ internal: port, external: port, ip: "127.0.0.1", protocol: "udp" })),
      ],
      restart: "unless-stopped",
      // The provisioner connects it to each tenant's edge network: not this stack's to undo.
      lifecycle: { ignoreChanges: ["networks_advanced"] },
      memory: 512,
      memorySwap: 512,
      labels,
      dependsOn: config.resources,
    });

    new TerraformOutput(this, "asterisk_network", { value: names.asteriskNetwork });
    new TerraformOutput(this, "containers", { value: [names.asterisk, names.traefik] });
    new TerraformOutput(this, "traefik_network", { value: names.traefikNetwork });
    new TerraformOutput(this, "ari_url", { value: `http://127.0.0.1:${o.ports.ari}` });
    new TerraformOutput(this, "http_url", { value: `http://127.0.0.1:${o.ports.http}` });
  }
}
