// Errors the console shows to users. Field errors carry every bad field (shown next to it);
// everything else becomes a message in words — never a stack trace or a server path.
import { FieldIssuesError, fieldIssues, type TFieldIssue } from "@dsai/contracts";
import type { z } from "zod";

export class InputError extends FieldIssuesError {
  constructor(what: string, issues: TFieldIssue[]) {
    super(what, issues);
  }

  static parse<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
    const result = schema.safeParse(input);
    if (!result.success) throw new InputError(what, fieldIssues(result.error));
    return result.data;
  }
}

/**
 * A tenant's change the platform's rules refuse when it is planned (SIP ownership, limits):
 * nothing was applied, so an active tenant stays active, to correct its change.
 */
export class RefusedChangeError extends FieldIssuesError {}

/** A request that cannot be done in the resource's current state (e.g. suspending a deleted tenant). */
export class ConflictError extends Error {}
export class NotFoundError extends Error {}
/** A service the console depends on (License Service, a tenant core) did not answer as it should. */
export class UpstreamError extends Error {
  constructor(
    readonly service: string,
    message: string,
  ) {
    super(message);
  }
}
