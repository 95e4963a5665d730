// The tenant's own Postgres: a container of the locally built image with its data in a named
// volume. The volume outlives the container (suspend stops the workload, the data stays) and
// is removed only when the tenant is destroyed.
import { Container } from "@cdktf/provider-docker/lib/container/index.js";
import { Volume } from "@cdktf/provider-docker/lib/volume/index.js";
import { Construct } from "constructs";
import { literal } from "../literal.ts";
import { leastPrivilege } from "./least-privilege.ts";
import type { TDockerLabels } from "./network.ts";

export const DATABASE_HOST = "db";
export const DATABASE_USER = "core";
export const DATABASE_NAME = "tenant";
/**
 * Debian's postgres user in dsai/postgres, created by postgresql-common as the image's first
 * system user (checked against the image by packages/stacks/test/tenant-docker.integration.test.ts).
 */
export const POSTGRES_USER_IDS = { user: 100, group: 102 };

export class TenantDatabase extends Construct {
  /** The core's connection URL (on the tenant network). */
  readonly url: string;

  constructor(
    scope: Construct,
    id: string,
    o: {
      names: { volume: string; container: string };
      image: string;
      network: string;
      password: string;
      running: boolean;
      memoryMiB: number;
      cpus: number;
      labels: TDockerLabels;
    },
  ) {
    super(scope, id);
    const volume = new Volume(this, "data", { name: o.names.volume, labels: o.labels });
    this.url = `postgres://${DATABASE_USER}:${o.password}@${DATABASE_HOST}:5432/${DATABASE_NAME}`;
    if (!o.running) return;
    new Container(this, "postgres", {
      name: o.names.container,
      image: o.image,
      env: [`POSTGRES_USER=${DATABASE_USER}`, literal(`POSTGRES_PASSWORD=${o.password}`), `POSTGRES_DB=${DATABASE_NAME}`],
      volumes: [{ volumeName: volume.name, containerPath: "/var/lib/postgresql/data" }],
      networksAdvanced: [{ name: o.network, aliases: [DATABASE_HOST] }],
      restart: "unless-stopped",
      ...leastPrivilege({ writable: [{ path: "/tmp" }, { path: "/run/postgresql", owner: POSTGRES_USER_IDS }] }),
      memory: o.memoryMiB,
      // Equal to memory: no swap beyond the limit (Docker would otherwise set twice the limit).
      memorySwap: o.memoryMiB,
      cpus: o.cpus.toFixed(1),
      healthcheck: { test: ["CMD", "pg_isready", "-h", "127.0.0.1", "-q"], interval: "2s", timeout: "3s", retries: 30 },
      wait: true,
      waitTimeout: 60,
      labels: o.labels,
    });
  }
}
