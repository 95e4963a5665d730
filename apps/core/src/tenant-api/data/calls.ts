// Calls and their events (transcript lines, DTMF, interruptions, latencies), and usage per day.
import { ZObjectIdSchema } from "@dsai/contracts";
import type pg from "pg";
import { z } from "zod";
import type { Call, PrismaClient } from "../../generated/prisma/client.ts";
import { notFound } from "./errors.ts";

export const ZListCallsInput = z.strictObject({
  limit: z.number().int().min(1).max(200).default(50),
  /** The openedAt of the last call of the previous page. */
  before: z.iso.datetime().optional(),
  agentId: ZObjectIdSchema.optional(),
});
export const ZCallKey = z.strictObject({ id: z.uuid() });
export const ZUsageInput = z.strictObject({ days: z.number().int().min(1).max(366).default(30) });

const callView = (c: Call) => ({
  id: c.id,
  agentId: c.agentId,
  from: c.fromNumber,
  to: c.toNumber,
  status: c.status,
  openedAt: c.openedAt,
  answeredAt: c.answeredAt,
  endedAt: c.endedAt,
  billedSeconds: c.billedSeconds,
  hangupCause: c.hangupCause,
  transferTarget: c.transferTarget,
});

/** Newest first; page with `before`. */
export async function listCalls(db: PrismaClient, input: z.output<typeof ZListCallsInput>) {
  const calls = await db.call.findMany({
    where: {
      ...(input.before && { openedAt: { lt: new Date(input.before) } }),
      ...(input.agentId && { agentId: input.agentId }),
    },
    orderBy: { openedAt: "desc" },
    take: input.limit,
  });
  return calls.map(callView);
}

export async function getCall(db: PrismaClient, id: string) {
  const call = await db.call.findUnique({
    where: { id },
    include: { events: { orderBy: { id: "asc" }, select: { at: true, kind: true, role: true, text: true, data: true } } },
  });
  if (!call) throw notFound("call");
  return { ...callView(call), events: call.events };
}

/**
 * Calls and billed seconds per UTC day for the last `days` days. Raw SQL: grouping by a day
 * computed from a timestamp is not something Prisma's groupBy can express.
 */
export async function usagePerDay(pool: pg.Pool, days: number) {
  const { rows } = await pool.query<{ day: string; calls: number; billedSeconds: number }>(
    `SELECT to_char(date_trunc('day', ended_at), 'YYYY-MM-DD') AS day, count(*)::int AS calls,
            COALESCE(sum(billed_seconds), 0)::int AS "billedSeconds"
       FROM call WHERE ended_at >= date_trunc('day', now()) - make_interval(days => $1 - 1)
      GROUP BY 1 ORDER BY 1`,
    [days],
  );
  return rows;
}
