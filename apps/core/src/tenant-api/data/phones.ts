// WebRTC phones: a browser softphone of the tenant's, rung at its extension (and reached by a
// transfer). Its SIP password is sealed before it is stored and never returned.
import { phoneSchema, ZObjectIdSchema, ZSecretSchema } from "@dsai/contracts";
import { z } from "zod";
import type { Phone, PrismaClient } from "../../generated/prisma/client.ts";
import { DataError, orNotFound, unique } from "./errors.ts";
import { sealWith } from "./provider-profiles.ts";

export const ZCreatePhoneInput = phoneSchema(ZSecretSchema);
export const ZPhoneKey = z.strictObject({ id: ZObjectIdSchema });

const phoneView = (p: Phone) => ({ id: p.name, extension: p.extension, codecs: p.codecs, createdAt: p.createdAt });

export async function listPhones(db: PrismaClient) {
  return (await db.phone.findMany({ orderBy: { name: "asc" } })).map(phoneView);
}

export async function createPhone(db: PrismaClient, secretKey: Buffer | undefined, input: z.output<typeof ZCreatePhoneInput>) {
  if (await db.phoneNumber.findUnique({ where: { number: input.extension } })) {
    throw new DataError("CONFLICT", `extension ${input.extension} is a number`);
  }
  const phone = await unique(`phone ${input.id} or extension ${input.extension}`, () =>
    db.phone.create({
      data: { name: input.id, extension: input.extension, codecs: input.codecs, passwordCiphertext: sealWith(secretKey, input.password) },
    }),
  );
  return phoneView(phone);
}

export async function deletePhone(db: PrismaClient, id: string) {
  await orNotFound(`phone ${id}`, () => db.phone.delete({ where: { name: id } }));
  return { deleted: id };
}
