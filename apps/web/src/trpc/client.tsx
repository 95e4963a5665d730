"use client";
// tRPC in the browser: TanStack Query under the tRPC integration, batching calls to /api/trpc.
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createTRPCClient, httpBatchLink, TRPCClientError } from "@trpc/client";
import { createTRPCContext } from "@trpc/tanstack-react-query";
import { useState } from "react";
import type { TAppRouter } from "../server/api/root.ts";

export const { TRPCProvider, useTRPC } = createTRPCContext<TAppRouter>();

export function Providers({ children }: { children: React.ReactNode }) {
  const [queryClient] = useState(
    () =>
      new QueryClient({
        defaultOptions: {
          // A refusal (4xx) will not change on retry; a dropped connection might.
          queries: {
            staleTime: 2_000,
            retry: (n, err) => n < 2 && !(err instanceof TRPCClientError && (err.data?.httpStatus ?? 500) < 500),
          },
        },
      }),
  );
  const [trpcClient] = useState(() => createTRPCClient<TAppRouter>({ links: [httpBatchLink({ url: "/api/trpc" })] }));
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        {children}
      </TRPCProvider>
    </QueryClientProvider>
  );
}

/** Field errors of a failed call, by field path (shown next to each field). */
export function fieldErrors(err: unknown): Record<string, string> {
  if (!(err instanceof TRPCClientError)) return {};
  const issues = (err.data as { fieldIssues?: { path: string; message: string }[] } | undefined)?.fieldIssues ?? [];
  return Object.fromEntries(issues.map((i) => [i.path, i.message]));
}

/** A failed call in words for a banner. */
export function errorText(err: unknown): string {
  if (err instanceof TRPCClientError) return err.message;
  return "The console could not be reached. Check your connection and try again.";
}
