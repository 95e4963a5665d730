// Typed client of the License Service for tenant cores and the platform. Every call has a
// timeout; reserve and update are idempotent by callId, so a timed-out or failed attempt is
// retried with the same body (the service counts a call once however often it arrives).
import type { TCredits, TErrorBody, TReserve, TReserveResult, TUpdateResult, TUsageUpdate } from "@dsai/contracts";

export class LicenseApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(`License Service ${status} ${code}: ${message}`);
  }
}

export type TLicenseClientOptions = {
  baseUrl: string;
  apiKey: string;
  timeoutMs?: number;
  /** Attempts after the first, for network errors, timeouts, 429 and 5xx. */
  retries?: number;
  backoffMs?: number;
};

export type TLicenseClient = ReturnType<typeof createLicenseClient>;

const transient = (status: number) => status === 429 || status >= 500;

export function createLicenseClient(options: TLicenseClientOptions) {
  const timeoutMs = options.timeoutMs ?? 3_000;
  const retries = options.retries ?? 4;
  const backoff = options.backoffMs ?? 200;

  async function request<T>(method: "GET" | "POST", path: string, body?: unknown): Promise<T> {
    // Serialized once: every retry sends the very same bytes.
    const payload = body === undefined ? undefined : JSON.stringify(body);
    let lastError: Error = new Error("no attempt");
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, backoff * 2 ** (attempt - 1)));
      let res: Response;
      try {
        res = await fetch(new URL(path, options.baseUrl), {
          method,
          headers: { authorization: `Bearer ${options.apiKey}`, ...(payload ? { "content-type": "application/json" } : {}) },
          body: payload,
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (err) {
        lastError = err instanceof Error ? err : new Error(String(err));
        continue;
      }
      const text = await res.text();
      if (res.ok) return JSON.parse(text) as T;
      let parsed: TErrorBody | undefined;
      try {
        parsed = JSON.parse(text) as TErrorBody;
      } catch {
        parsed = undefined;
      }
      lastError = new LicenseApiError(
        res.status,
        parsed?.error.code ?? "http_error",
        parsed?.error.message ?? text.slice(0, 200),
        parsed?.error.field,
      );
      if (!transient(res.status)) throw lastError;
      const retryAfter = Number(res.headers.get("retry-after"));
      if (res.status === 429 && retryAfter > 0) await new Promise((r) => setTimeout(r, Math.min(retryAfter, 10) * 1000));
    }
    throw lastError;
  }

  const license = (id: string) => `/license/${encodeURIComponent(id)}`;
  return {
    credits: (licenseId: string) => request<TCredits>("GET", `${license(licenseId)}/credits`),
    reserve: (licenseId: string, body: TReserve) => request<TReserveResult>("POST", `${license(licenseId)}/reserve`, body),
    update: (licenseId: string, body: TUsageUpdate) => request<TUpdateResult>("POST", `${license(licenseId)}/update`, body),
  };
}
