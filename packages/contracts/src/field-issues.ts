// Bad input, field by field: every boundary that validates with these contracts reports each
// offending field by its path, in one shape (callers show all of them at once, not the first).
import type { z } from "zod";

export type TFieldIssue = { path: string; message: string };

export function fieldIssues(error: z.ZodError, root = "(root)"): TFieldIssue[] {
  return error.issues.map((i) => ({ path: i.path.join(".") || root, message: i.message }));
}

/** An error naming every bad field; subclasses say what was being validated. */
export class FieldIssuesError extends Error {
  constructor(
    what: string,
    readonly issues: TFieldIssue[],
  ) {
    super(`invalid ${what}:\n${issues.map((i) => `  ${i.path}: ${i.message}`).join("\n")}`);
  }
}

/** Parses `input` with `schema`, or throws `toError(issues)`. */
export function parseOrThrow<T>(schema: z.ZodType<T>, input: unknown, toError: (issues: TFieldIssue[]) => Error): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw toError(fieldIssues(result.error));
}
