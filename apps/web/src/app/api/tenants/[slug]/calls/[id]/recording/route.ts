// A call's recording, streamed to a member of the tenant: the same check as the dashboard's
// `calls.get` (membership, and the call must be the tenant's, asked of its own core) before any
// byte of the file is read. Errors leave as a status and words.
import { Readable } from "node:stream";
import { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { consoleContext } from "../../../../../../../server/api/context.ts";
import { createCaller } from "../../../../../../../server/api/root.ts";

type TParams = { params: Promise<{ slug: string; id: string }> };

const refuse = (status: number, message: string) => Response.json({ error: { message } }, { status });

export async function GET(_req: Request, { params }: TParams): Promise<Response> {
  const { slug, id } = await params;
  const ctx = await consoleContext();
  try {
    const call = await createCaller(ctx).calls.get({ tenant: slug, id });
    const recording = call.hasRecording ? await ctx.recordings?.find(slug, call.id) : null;
    if (!recording) return refuse(404, "This call has no recording.");
    return new Response(Readable.toWeb(recording.open()) as ReadableStream, {
      headers: {
        "content-type": "audio/wav",
        "content-length": String(recording.size),
        "content-disposition": `inline; filename="call-${call.id}.wav"`,
        "cache-control": "private, no-store",
      },
    });
  } catch (err) {
    if (err instanceof TRPCError && err.code !== "INTERNAL_SERVER_ERROR") return refuse(getHTTPStatusCodeFromError(err), err.message);
    console.error("recording:", err);
    return refuse(500, "Something went wrong on our side. It has been logged; please try again.");
  }
}
