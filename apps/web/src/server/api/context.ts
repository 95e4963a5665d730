// The console's request context: its services and the signed-in user as the database says
// now (the session only names a user). The tRPC route and the recording route share it.
import "server-only";
import { auth } from "../../auth.ts";
import { services } from "../services.ts";
import type { TContext } from "./trpc.ts";

export async function consoleContext(): Promise<TContext> {
  const { db, queue, baseDomain, cores, license, recordings, providersImage, targets, maxTenantsPerOwner, platformAdmins } =
    await services();
  const session = await auth();
  const id = session?.user?.id;
  const row = id ? await db.user.findUnique({ where: { id } }) : null;
  const isPlatformAdmin = Boolean(row && (row.isPlatformAdmin || platformAdmins.has(row.email)));
  const user = row ? { id: row.id, email: row.email, name: row.name, isPlatformAdmin } : null;
  return {
    db,
    queue,
    baseDomain,
    cores,
    user,
    targets,
    maxTenantsPerOwner,
    ...(license && { license }),
    ...(recordings && { recordings }),
    ...(providersImage && { providersImage }),
  };
}
