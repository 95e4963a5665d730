// The License Service's admin API (tRPC at /trpc, the platform's admin token), as the worker
// and the admin pages use it. Calls time out: a License Service that hangs is reported, not waited on.
import type { TLicenseAdminRouter } from "@dsai/license";
import { createTRPCClient, httpLink, TRPCClientError } from "@trpc/client";
import { UpstreamError } from "../errors.ts";

export type TLicenseAdminOptions = { url: string; adminToken: string; timeoutMs?: number };

export function createLicenseAdmin(o: TLicenseAdminOptions) {
  const client = createTRPCClient<TLicenseAdminRouter>({
    links: [
      httpLink({
        url: `${o.url.replace(/\/$/, "")}/trpc`,
        headers: { authorization: `Bearer ${o.adminToken}` },
        fetch: (input, init) => fetch(input, { ...init, signal: AbortSignal.timeout(o.timeoutMs ?? 10_000) }),
      }),
    ],
  });
  /** Transport failures and server errors become UpstreamError; a refusal (4xx) keeps its tRPC code. */
  const call = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof TRPCClientError && typeof err.data?.httpStatus === "number" && err.data.httpStatus < 500) throw err;
      throw new UpstreamError("The License Service", `${what}: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  return {
    client,
    createLicense: (input: { id: string; name: string; seconds: number }) =>
      call("create license", () => client.createLicense.mutate(input)),
    issueKey: (licenseId: string, label: string) => call("issue key", () => client.issueKey.mutate({ licenseId, label })),
    suspend: (licenseId: string) => call("suspend license", () => client.suspendLicense.mutate({ licenseId })),
    reactivate: (licenseId: string) => call("reactivate license", () => client.reactivateLicense.mutate({ licenseId })),
    close: (licenseId: string) => call("close license", () => client.closeLicense.mutate({ licenseId })),
    show: (licenseId: string) => call("show license", () => client.showLicense.query({ licenseId })),
    list: () => call("list licenses", () => client.listLicenses.query()),
    ledger: (licenseId: string) => call("read the ledger", () => client.ledger.query({ licenseId })),
    grant: (licenseId: string, seconds: number, note?: string) =>
      call("grant credits", () => client.grantCredits.mutate({ licenseId, seconds, ...(note && { note }) })),
  };
}
export type TLicenseAdmin = ReturnType<typeof createLicenseAdmin>;

/** A refusal because the license already is where we want it (e.g. suspending a suspended license). */
export const isWrongStatus = (err: unknown) => err instanceof TRPCClientError && err.data?.httpStatus === 409;
