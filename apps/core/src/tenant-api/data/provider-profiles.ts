// Provider profiles: an ASR, LLM, TTS or speech-to-speech service an agent uses — either a local
// image the tenant's stack runs on its private network (image, port, args, env) or an external
// URL — with its settings and an optional secret (an API key), sealed before it is stored and
// never returned.
import {
  sealSecret,
  type TProviderRuntime,
  ZDisplayNameSchema,
  ZProviderKindSchema,
  ZProviderRuntimeSchema,
  ZProviderSettingsSchema,
} from "@dsai/contracts";
import { z } from "zod";
import type { PrismaClient, ProviderProfile } from "../../generated/prisma/client.ts";
import { DataError, orNotFound, unique } from "./errors.ts";

/** A provider's secret as the tenant types it (an API key); sealed at once. */
export const ZProviderSecretSchema = z.string().min(1).max(4_000);

export const ZCreateProviderProfileInput = z.strictObject({
  name: ZDisplayNameSchema,
  kind: ZProviderKindSchema,
  runtime: ZProviderRuntimeSchema,
  settings: ZProviderSettingsSchema.default({}),
  secret: ZProviderSecretSchema.optional(),
});
export const ZProviderProfileKey = z.strictObject({ id: z.uuid() });

/** The profile's runtime as the contract has it, from the row's columns. */
export function profileRuntime(p: ProviderProfile): unknown {
  return p.image !== null ? { type: "image", image: p.image, port: p.port, args: p.args, env: p.env } : { type: "url", url: p.url };
}

function profileView(p: ProviderProfile) {
  return {
    id: p.id,
    name: p.name,
    kind: p.kind,
    runtime: profileRuntime(p),
    settings: p.settings,
    hasSecret: p.secretCiphertext !== null,
    createdAt: p.createdAt,
  };
}

function runtimeColumns(runtime: TProviderRuntime) {
  return runtime.type === "image"
    ? { image: runtime.image, port: runtime.port, args: runtime.args, env: runtime.env, url: null }
    : { image: null, port: null, args: [], env: {}, url: runtime.url };
}

export function sealWith(secretKey: Buffer | undefined, secret: string): string {
  if (!secretKey) throw new DataError("PRECONDITION_FAILED", "CORE_SECRET_KEY is not configured: secrets cannot be stored");
  return sealSecret(secretKey, secret);
}

export async function listProviderProfiles(db: PrismaClient) {
  return (await db.providerProfile.findMany({ orderBy: { name: "asc" } })).map(profileView);
}

export async function createProviderProfile(
  db: PrismaClient,
  secretKey: Buffer | undefined,
  input: z.output<typeof ZCreateProviderProfileInput>,
) {
  const profile = await unique(`provider profile ${input.name}`, () =>
    db.providerProfile.create({
      data: {
        name: input.name,
        kind: input.kind,
        ...runtimeColumns(input.runtime),
        settings: input.settings,
        secretCiphertext: input.secret === undefined ? null : sealWith(secretKey, input.secret),
      },
    }),
  );
  return profileView(profile);
}

export async function deleteProviderProfile(db: PrismaClient, id: string) {
  const users = await db.agent.count({
    where: { OR: [{ asrProfileId: id }, { llmProfileId: id }, { ttsProfileId: id }, { stsProfileId: id }] },
  });
  if (users > 0) throw new DataError("CONFLICT", `provider profile ${id} is used by ${users} agent(s)`);
  await orNotFound(`provider profile ${id}`, () => db.providerProfile.delete({ where: { id } }));
  return { deleted: id };
}
