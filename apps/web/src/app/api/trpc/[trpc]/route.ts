import { consoleContext } from "../../../../server/api/context.ts";
import { handleTrpc } from "../../../../server/api/http.ts";

function handler(req: Request): Promise<Response> {
  return handleTrpc(req, consoleContext);
}

export { handler as GET, handler as POST };
