// Errors of the License Service and the one place that maps them to HTTP status codes.
import type { TErrorBody } from "@dsai/contracts";
import type { ZodError } from "zod";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }

  body(): TErrorBody {
    return { error: { code: this.code, message: this.message, ...(this.field ? { field: this.field } : {}) } };
  }
}

/** The first issue of a zod error, as a 400 naming its field. */
export function invalidInput(error: ZodError, prefix = ""): ApiError {
  const issue = error.issues[0];
  const path = issue?.path.join(".") ?? "";
  // Unknown fields: zod reports them with the keys in the issue, not in the path.
  const keys = issue && "keys" in issue ? (issue.keys as string[]) : [];
  const field = [prefix, path, keys.join(",")].filter(Boolean).join(".");
  const message = issue?.code === "unrecognized_keys" ? `unknown field ${keys.join(", ")}` : (issue?.message ?? "invalid input");
  return new ApiError(400, "invalid_input", field ? `${field}: ${message}` : message, field || undefined);
}
