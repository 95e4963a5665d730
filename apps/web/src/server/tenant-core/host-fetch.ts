// fetch() that connects to one address and names another host: a tenant's core is reached
// through Traefik (127.0.0.1:<port>) by its host <slug>.<domain>, and fetch cannot set Host.
import { request } from "node:http";

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
          res.on("data", (c: Buffer) => chunks.push(c));
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
