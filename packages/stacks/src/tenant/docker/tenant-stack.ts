// A tenant on the local Docker engine: its private and edge networks, its Postgres with a named
// volume, one container per provider profile that runs as an image, its core, its route on the
// platform's Traefik and its files in the shared Asterisk. Suspended: the network and the data
// stay, nothing runs (no route), and the Asterisk files send every number to the refusal path.
import { DockerProvider } from "@cdktf/provider-docker/lib/provider/index.js";
import { LocalProvider } from "@cdktf/provider-local/lib/provider/index.js";
import { type App, TerraformOutput, TerraformStack } from "cdktf";
import { pinProviders } from "../../pin-providers.ts";
import { AsteriskFiles } from "../asterisk-files.ts";
import { CORE_PORTS, parseTenantStackOptions, tenantObjectNames } from "../options.ts";
import { TenantCore } from "./core.ts";
import { TenantDatabase } from "./database.ts";
import { EdgeRoute } from "./edge-route.ts";
import { TenantNetwork } from "./network.ts";
import { ProviderService } from "./provider-service.ts";

export class DockerTenantStack extends TerraformStack {
  readonly asteriskFiles: AsteriskFiles;

  /** `input` is validated first (TenantStackInputError names every bad field; nothing is synthesized). */
  constructor(scope: App, id: string, input: unknown) {
    const o = parseTenantStackOptions(input);
    super(scope, id);
    const { desiredState: state, deployment } = o;
    const names = tenantObjectNames(state.slug);
    const labels = [
      { label: "dsai.tenant", value: state.slug },
      { label: "dsai.stack", value: id },
    ];
    new DockerProvider(this, "docker", {});
    new LocalProvider(this, "local", {});
    pinProviders(this, ["docker", "local"]);

    const running = state.status === "active";
    const network = new TenantNetwork(this, "network", { name: names.network, labels });
    const edge = new TenantNetwork(this, "edge", { name: names.edgeNetwork, labels });
    const database = new TenantDatabase(this, "database", {
      names: { volume: names.volume, container: names.database },
      image: deployment.images.postgres,
      network: network.name,
      password: deployment.secrets.databasePassword,
      running,
      memoryMiB: deployment.limits.databaseMemoryMiB,
      cpus: deployment.limits.cpus,
      labels,
    });
    if (running) {
      for (const profile of state.providerProfiles) {
        if (profile.runtime.type !== "image") continue;
        new ProviderService(this, `provider-${profile.id}`, {
          name: names.provider(profile.id),
          profile: { ...profile, runtime: profile.runtime },
          network: network.name,
          memoryMiB: deployment.limits.providerMemoryMiB,
          cpus: deployment.limits.cpus,
          labels,
        });
      }
      new TenantCore(this, "core", {
        name: names.core,
        host: names.coreHost,
        image: deployment.images.core,
        networks: {
          tenant: network.name,
          edge: edge.name,
          ...(deployment.publishCoreHttpOn !== undefined && {
            publish: new TenantNetwork(this, "publish", { name: names.publishNetwork, publish: true, labels }).name,
          }),
        },
        env: {
          CORE_HOST: "0.0.0.0",
          CORE_HTTP_PORT: String(CORE_PORTS.http),
          CORE_AUDIOSOCKET_PORT: String(CORE_PORTS.audioSocket),
          CORE_DATABASE_URL: database.url,
          CORE_TENANT_SLUG: state.slug,
          CORE_TENANT_TOKEN: deployment.secrets.tenantToken,
          CORE_SECRET_KEY: deployment.secrets.secretKey,
          CORE_PLATFORM_SECRET: deployment.secrets.platformSecret,
          CORE_LICENSE_URL: deployment.license.url,
          CORE_LICENSE_ID: deployment.license.id,
          CORE_LICENSE_KEY: deployment.license.key,
        },
        publishHttpOn: deployment.publishCoreHttpOn,
        memoryMiB: deployment.limits.coreMemoryMiB,
        cpus: deployment.limits.cpus,
        labels,
      });
      if (deployment.edgeRoutesDir)
        new EdgeRoute(this, "edge-route", {
          dir: deployment.edgeRoutesDir,
          slug: state.slug,
          host: `${state.slug}.${deployment.baseDomain}`,
          coreUrl: `http://${names.coreHost}:${CORE_PORTS.http}`,
          ...(deployment.proxySourceRange && { sourceRange: deployment.proxySourceRange }),
        });
    }
    this.asteriskFiles = new AsteriskFiles(this, "asterisk", o);
    new TerraformOutput(this, "core_host", { value: names.coreHost });
    new TerraformOutput(this, "edge_network", { value: names.edgeNetwork });
    new TerraformOutput(this, "tenant_host", { value: `${state.slug}.${deployment.baseDomain}` });
    new TerraformOutput(this, "status", { value: state.status });
  }
}
