import { auth } from "../../../../auth.ts";
import { handleTrpc } from "../../../../server/api/http.ts";
import { services } from "../../../../server/services.ts";

async function handler(req: Request): Promise<Response> {
  return handleTrpc(req, async () => {
    const { db, queue, baseDomain, cores, license, platformAdmins } = await services();
    const session = await auth();
    const id = session?.user?.id;
    // The session names a user; the database says who that user is now.
    const row = id ? await db.user.findUnique({ where: { id } }) : null;
    const isPlatformAdmin = Boolean(row && (row.isPlatformAdmin || platformAdmins.has(row.email)));
    const user = row ? { id: row.id, email: row.email, name: row.name, isPlatformAdmin } : null;
    return { db, queue, baseDomain, cores, user, ...(license && { license }) };
  });
}

export { handler as GET, handler as POST };
