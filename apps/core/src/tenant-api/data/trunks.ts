// SIP trunks: a carrier we register to, or one that sends from known networks (IP identify),
// with its codecs and one of the transports the shared Asterisk offers. The password is sealed
// before it is stored and never returned; the platform opens it when it writes Asterisk files.
import { checkRouting, trunkSchema, ZObjectIdSchema, ZSecretSchema } from "@dsai/contracts";
import { z } from "zod";
import type { PrismaClient, SipTrunk } from "../../generated/prisma/client.ts";
import { orNotFound, unique } from "./errors.ts";
import { sealWith } from "./provider-profiles.ts";

/** A trunk as the tenant types it: the contract's trunk with its password in clear, complete for its mode. */
export const ZCreateTrunkInput = trunkSchema(ZSecretSchema).superRefine((trunk, ctx) => {
  // The same completeness rules as the desired state's, for this one trunk.
  checkRouting({ numbers: [], trunks: [trunk], phones: [] }, ctx);
});
export const ZTrunkKey = z.strictObject({ id: ZObjectIdSchema });

/** A trunk row in the contract's shape, its password still sealed (the desired state's trunk). */
export function trunkOfRow(t: SipTrunk) {
  return {
    id: t.name,
    mode: t.mode,
    host: t.host,
    port: t.port,
    transport: t.transport,
    username: t.username ?? undefined,
    password: t.passwordCiphertext ?? undefined,
    match: t.match,
    codecs: t.codecs,
  };
}

/** What the API shows: never the password, only whether there is one. */
const trunkView = (t: SipTrunk) => {
  const { password, ...trunk } = trunkOfRow(t);
  return { ...trunk, hasPassword: password !== undefined, createdAt: t.createdAt };
};

export async function listTrunks(db: PrismaClient) {
  return (await db.sipTrunk.findMany({ orderBy: { name: "asc" } })).map(trunkView);
}

export async function createTrunk(db: PrismaClient, secretKey: Buffer | undefined, input: z.output<typeof ZCreateTrunkInput>) {
  const { id, password, username, ...fields } = input;
  const trunk = await unique(`trunk ${id}`, () =>
    db.sipTrunk.create({
      data: {
        name: id,
        ...fields,
        username: username ?? null,
        passwordCiphertext: password === undefined ? null : sealWith(secretKey, password),
      },
    }),
  );
  return trunkView(trunk);
}

export async function deleteTrunk(db: PrismaClient, id: string) {
  await orNotFound(`trunk ${id}`, () => db.sipTrunk.delete({ where: { name: id } }));
  return { deleted: id };
}
