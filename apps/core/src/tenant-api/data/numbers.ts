// Numbers: a DID or an extension, the agent it rings, and whether its calls are recorded.
import { ZNumberRouteSchema, ZNumberSchema } from "@dsai/contracts";
import { z } from "zod";
import type { PhoneNumber, PrismaClient } from "../../generated/prisma/client.ts";
import { DataError, orNotFound, unique } from "./errors.ts";

export const ZCreateNumberInput = ZNumberRouteSchema;
export const ZNumberKey = z.strictObject({ number: ZNumberSchema });

const numberView = (n: PhoneNumber) => ({ number: n.number, agentId: n.agentId, record: n.record, createdAt: n.createdAt });

export async function listNumbers(db: PrismaClient) {
  return (await db.phoneNumber.findMany({ orderBy: { number: "asc" } })).map(numberView);
}

export async function createNumber(db: PrismaClient, input: z.output<typeof ZCreateNumberInput>) {
  if (!(await db.agent.findUnique({ where: { id: input.agentId }, select: { id: true } }))) {
    throw new DataError("BAD_REQUEST", `agentId: no agent ${input.agentId}`);
  }
  // A number and a phone's extension share the phones' dialplan context.
  if (await db.phone.findUnique({ where: { extension: input.number } })) {
    throw new DataError("CONFLICT", `number ${input.number} is a phone's extension`);
  }
  return numberView(await unique(`number ${input.number}`, () => db.phoneNumber.create({ data: input })));
}

export async function deleteNumber(db: PrismaClient, number: string) {
  await orNotFound(`number ${number}`, () => db.phoneNumber.delete({ where: { number } }));
  return { deleted: number };
}
