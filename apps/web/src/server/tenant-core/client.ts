// The tenant core's API as the console uses it: tRPC with a short-lived platform service token
// signed with the tenant's platform secret (kept sealed in the platform database). Refusals of
// the core keep their code and field issues; a core that does not answer is an UpstreamError,
// which the pages show as a banner.

import { signServiceToken } from "@dsai/contracts";
import type { TTenantApiRouter } from "@dsai/core";
import type { Tenant } from "@dsai/db";
import { createTRPCClient, httpLink, TRPCClientError } from "@trpc/client";
import { TRPCError } from "@trpc/server";
import { ConflictError, InputError, UpstreamError } from "../errors.ts";
import { openJson } from "../tenants/secrets.ts";
import { boundedFetch, hostFetch } from "./host-fetch.ts";

/** Where a tenant's core answers: a URL, and the Host to name when that URL is a proxy. */
export type TCoreEndpoint = (slug: string, baseDomain: string) => { url: string; host?: string };

/** Through Traefik at `proxyUrl`, by the tenant's host name (the local platform). */
export const viaProxy =
  (proxyUrl: string): TCoreEndpoint =>
  (slug, baseDomain) => ({ url: proxyUrl, host: `${slug}.${baseDomain}` });

export type TTenantCore = ReturnType<typeof createTRPCClient<TTenantApiRouter>>;

export function tenantCoreClient(endpoint: { url: string; host?: string }, platformSecret: string): TTenantCore {
  return createTRPCClient<TTenantApiRouter>({
    links: [
      httpLink({
        url: `${endpoint.url.replace(/\/$/, "")}/trpc`,
        headers: () => ({ authorization: `Bearer ${signServiceToken(platformSecret)}` }),
        fetch: endpoint.host ? hostFetch(endpoint.host) : boundedFetch(),
      }),
    ],
  });
}

/** The core of a tenant that runs, or a conflict saying why it cannot be reached now. */
export function coreOf(tenant: Tenant, o: { endpoint: TCoreEndpoint; baseDomain: string; secretKey: Buffer }): TTenantCore {
  if (tenant.status !== "active" || !tenant.secretsSealed)
    throw new ConflictError(`The tenant is ${tenant.status}: its configuration can be read and changed while it is active.`);
  const secrets = openJson<{ platformSecret: string }>(o.secretKey, tenant.secretsSealed);
  return tenantCoreClient(o.endpoint(tenant.slug, o.baseDomain), secrets.platformSecret);
}

/** Where the console reaches a tenant's core: the cluster's ingress for one on Kubernetes, the platform's Traefik otherwise. */
export function coreEndpointOf(tenant: Tenant, cores: { endpoint: TCoreEndpoint; kubernetesEndpoint?: TCoreEndpoint }): TCoreEndpoint {
  if (tenant.target !== "kubernetes") return cores.endpoint;
  if (!cores.kubernetesEndpoint)
    throw new UpstreamError("The tenant's core", "this console has no address for cores on Kubernetes (DSAI_KUBERNETES_PROXY_URL)");
  return cores.kubernetesEndpoint;
}

/** Calls the core; its refusals keep their code (and field issues), its silence becomes UpstreamError. */
export async function viaCore<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    // The tRPC client wraps everything of the core's (refusals and transport failures alike).
    if (!(err instanceof TRPCClientError)) throw err;
    const data = err.data as
      | { code?: TRPCError["code"]; httpStatus?: number; fieldIssues?: { path: string; message: string }[] }
      | undefined;
    if (data?.fieldIssues?.length) throw new InputError("input", data.fieldIssues);
    if (data?.code && data.httpStatus && data.httpStatus < 500) throw new TRPCError({ code: data.code, message: err.message });
    throw new UpstreamError("The tenant's core", err.message);
  }
}
