"use client";
// tRPC in the browser: TanStack Query under the tRPC integration, batching calls to /api/trpc.
import { QueryClient, QueryClientProvider, type QueryKey, useQueryClient } from "@tanstack/react-query";
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

/**
 * After a change, read the list again. A read still in flight may have started before the change
 * (a user who creates right after opening the page): it is cancelled first, so its older answer
 * can never land after the change and hide it.
 */
export function useRefetchAfterChange(queryKey: QueryKey) {
  const queryClient = useQueryClient();
  return async () => {
    await queryClient.cancelQueries({ queryKey });
    await queryClient.invalidateQueries({ queryKey });
  };
}
