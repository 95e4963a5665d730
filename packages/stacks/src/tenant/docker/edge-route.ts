// The tenant's route on the platform's Traefik: a file of Traefik's file provider, written by
// the tenant's stack from the platform's own data (slug, base domain, the core's shared host
// name), never from anything a tenant controls. Traefik reads no Docker labels: Docker copies an
// image's labels onto its containers, so a provider image of a tenant's choosing could otherwise
// add routers that take any host of the edge (the console's sign-in, another tenant's host).
import { join } from "node:path";
import { File } from "@cdktf/provider-local/lib/file/index.js";
import { Construct } from "constructs";
import { literal } from "../literal.ts";

/**
 * Paths a tenant's route never serves to the public: the core's Prometheus metrics. Matched on
 * the path Traefik has decoded and cleaned, case-insensitively and with any number of leading
 * slashes, so `/METRICS`, `//metrics` and `/%6detrics` are refused as well.
 */
const NOT_PUBLIC = "PathRegexp(`(?i)^/+metrics(?:/|$)`)";

/** The file's name in Traefik's configuration folder: one per tenant, beside the platform's host routes. */
export const edgeRouteFileName = (slug: string) => `tenant-${slug}.yml`;

/** Traefik's dynamic configuration (JSON is YAML) for one tenant: <host> -> the core's HTTP port. */
export function edgeRouteConfig(o: { slug: string; host: string; coreUrl: string; sourceRange?: string }) {
  const name = `tenant-${o.slug}`;
  const allowList = `${name}-proxy-only`;
  return {
    http: {
      routers: {
        [name]: {
          rule: `Host(\`${o.host}\`) && !${NOT_PUBLIC}`,
          service: name,
          entryPoints: ["web"],
          ...(o.sourceRange && { middlewares: [allowList] }),
        },
      },
      services: { [name]: { loadBalancer: { servers: [{ url: o.coreUrl }] } } },
      ...(o.sourceRange && { middlewares: { [allowList]: { ipAllowList: { sourceRange: [o.sourceRange] } } } }),
    },
  };
}

export class EdgeRoute extends Construct {
  constructor(scope: Construct, id: string, o: { dir: string; slug: string; host: string; coreUrl: string; sourceRange?: string }) {
    super(scope, id);
    new File(this, "file", {
      filename: join(o.dir, edgeRouteFileName(o.slug)),
      content: literal(JSON.stringify(edgeRouteConfig(o), null, 2)),
      // Traefik reads it through a read-only mount; it holds no secret.
      filePermission: "0644",
      directoryPermission: "0755",
    });
  }
}
