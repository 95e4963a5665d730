// The few HTTP helpers the provider services share: bounded JSON bodies, JSON errors naming the
// field, and one place that logs with the call's UUID.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { UUID_HEADER } from "@dsai/contracts";
import type { z } from "zod";

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

export function sendError(res: ServerResponse, err: unknown): void {
  const e = err instanceof HttpError ? err : new HttpError(500, "internal", "internal error");
  if (res.headersSent) {
    res.destroy(); // mid-stream: the client sees a cut stream, which it treats as a failure
    return;
  }
  res.writeHead(e.status, { "content-type": "application/json" });
  res.end(JSON.stringify({ error: { code: e.code, message: e.message, ...(e.field ? { field: e.field } : {}) } }));
}

export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new HttpError(413, "body_too_large", `body over ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Parses a JSON body against `schema`; bad input is a 400 naming the field. */
export async function readJson<T>(req: IncomingMessage, schema: z.ZodType<T>, limit = 64 * 1024): Promise<T> {
  let value: unknown;
  try {
    value = JSON.parse((await readBody(req, limit)).toString("utf8"));
  } catch (err) {
    if (err instanceof HttpError) throw err;
    throw new HttpError(400, "invalid_json", "body is not JSON", "body");
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join(".") || "body";
    throw new HttpError(400, "invalid_input", `${field}: ${issue?.message ?? "invalid"}`, field);
  }
  return parsed.data;
}

export function callUuid(req: IncomingMessage): string {
  const value = req.headers[UUID_HEADER];
  return typeof value === "string" && /^[0-9a-zA-Z-]{1,64}$/.test(value) ? value : "-";
}

export function log(service: string, uuid: string, message: string): void {
  process.stderr.write(`${new Date().toISOString()} ${service} call=${uuid} ${message}\n`);
}

export type TService = { readonly url: string; readonly port: number; close(): Promise<void> };
export type THandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/** Serves `routes` (method + path) on host:port; anything else is a JSON 404/405. */
export async function serve(routes: Record<string, THandler>, options: { host: string; port: number }): Promise<TService> {
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    if (req.method === "GET" && path === "/healthz") {
      res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}');
      return;
    }
    const handler = routes[`${req.method} ${path}`];
    if (!handler) {
      const known = Object.keys(routes).some((r) => r.endsWith(` ${path}`));
      sendError(res, new HttpError(known ? 405 : 404, known ? "method_not_allowed" : "not_found", `no route ${req.method} ${path}`));
      return;
    }
    handler(req, res).catch((err: unknown) => sendError(res, err));
  });
  // Streams stay open as long as a call lasts: no request timeout.
  server.requestTimeout = 0;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, resolve);
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : options.port;
  return {
    url: `http://${options.host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
