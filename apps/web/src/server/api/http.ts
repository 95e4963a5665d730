// The console's tRPC over HTTP (Next's route handler calls this). Mutations must come from the
// console's own pages: a POST whose Origin is another site is refused (CSRF), and tRPC only
// accepts JSON bodies, which a cross-site form cannot send.
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { appRouter } from "./root.ts";
import type { TContext } from "./trpc.ts";

export async function handleTrpc(req: Request, context: () => Promise<TContext>): Promise<Response> {
  if (req.method !== "GET" && req.method !== "HEAD") {
    const origin = req.headers.get("origin");
    const host = req.headers.get("x-forwarded-host") ?? req.headers.get("host");
    if (origin && new URL(origin).host !== host) {
      return Response.json({ error: { message: "Cross-site request refused.", code: "FORBIDDEN" } }, { status: 403 });
    }
  }
  return fetchRequestHandler({ endpoint: "/api/trpc", req, router: appRouter, createContext: context });
}
