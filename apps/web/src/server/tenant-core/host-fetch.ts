// fetch() that connects to one address and names another host: a tenant's core is reached
// through Traefik (127.0.0.1:<port>) by its host <slug>.<domain>, and fetch cannot set Host.
// A core's answer is the tenant's to shape, so its size is bounded: the largest valid desired
// state (200 agents' prompts, 1,000 numbers, 500 phones) is about 5 MB.
import { request } from "node:http";

/** The most a tenant's core may answer in one response; past it the request fails. */
export const MAX_CORE_ANSWER_BYTES = 16 * 1024 * 1024;

const tooLarge = () => new Error(`the core's answer is larger than ${MAX_CORE_ANSWER_BYTES / 1024 / 1024} MiB: refused`);

/** fetch() with a timeout whose response body is bounded (cores on Kubernetes, reached without a Host override). */
export function boundedFetch(timeoutMs = 10_000): typeof fetch {
  return async (input, init) => {
    const res = await fetch(input, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    const chunks: Uint8Array[] = [];
    let size = 0;
    const reader = res.body?.getReader();
    for (let read = await reader?.read(); read && !read.done; read = await reader?.read()) {
      size += read.value.byteLength;
      if (size > MAX_CORE_ANSWER_BYTES) {
        await reader?.cancel();
        throw tooLarge();
      }
      chunks.push(read.value);
    }
    return new Response(Buffer.concat(chunks), { status: res.status, headers: res.headers });
  };
}

export function hostFetch(host: string, timeoutMs = 10_000): typeof fetch {
  return (input, init) =>
    new Promise<Response>((resolve, reject) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      // A plain object, not Headers: runtimes that follow the browser's rules drop a Host set on Headers.
      const headers: Record<string, string> = {};
      new Headers(init?.headers).forEach((value, key) => {
        headers[key] = value;
      });
      headers.host = host;
      const body = init?.body === undefined || init.body === null ? undefined : Buffer.from(String(init.body));
      if (body) headers["content-length"] = String(body.length);
      const req = request(
        { host: url.hostname, port: url.port, path: `${url.pathname}${url.search}`, method: init?.method ?? "GET", headers },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on("data", (c: Buffer) => {
            size += c.length;
            if (size > MAX_CORE_ANSWER_BYTES) req.destroy(tooLarge());
            else chunks.push(c);
          });
          res.on("end", () => {
            const out = new Headers();
            for (const [k, v] of Object.entries(res.headers)) if (typeof v === "string") out.set(k, v);
            resolve(new Response(Buffer.concat(chunks), { status: res.statusCode ?? 502, headers: out }));
          });
          res.on("error", reject);
        },
      );
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer from ${host} within ${timeoutMs / 1000} s`)));
      req.on("error", reject);
      req.end(body);
    });
}
