// Errors of the tenant API's data functions, with the tRPC code each maps to (trpc.ts).
export class DataError extends Error {
  constructor(
    readonly code: "NOT_FOUND" | "CONFLICT" | "BAD_REQUEST" | "PRECONDITION_FAILED",
    message: string,
  ) {
    super(message);
  }
}

export function notFound(what: string): DataError {
  return new DataError("NOT_FOUND", `${what} not found`);
}

/** Prisma's "record to update/delete does not exist" as a NOT_FOUND naming the record. */
export async function orNotFound<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if ((err as { code?: unknown }).code === "P2025") throw notFound(what);
    throw err;
  }
}

/** Prisma's unique violation as a CONFLICT naming the record. */
export async function unique<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if ((err as { code?: unknown }).code === "P2002") throw new DataError("CONFLICT", `${what} already exists`);
    if ((err as { code?: unknown }).code === "P2003") throw new DataError("BAD_REQUEST", `${what} refers to something that does not exist`);
    throw err;
  }
}
