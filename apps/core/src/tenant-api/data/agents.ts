// Agents: who answers a number — pipeline (ASR -> LLM -> TTS) or speech-to-speech, with the
// provider profiles it uses, its prompt, greeting, language and voice. Inputs use the
// contract's field rules (@dsai/contracts), so what is stored here is what a desired state holds.
import {
  ZAgentModeSchema,
  ZAgentSchema,
  ZDisplayNameSchema,
  ZGreetingSchema,
  ZLanguageSchema,
  ZObjectIdSchema,
  ZPromptSchema,
  ZVoiceSchema,
} from "@dsai/contracts";
import { z } from "zod";
import type { Agent, PrismaClient } from "../../generated/prisma/client.ts";
import { DataError, notFound, orNotFound, unique } from "./errors.ts";

export const ZCreateAgentInput = ZAgentSchema;
export const ZUpdateAgentInput = z.strictObject({
  id: ZObjectIdSchema,
  name: ZDisplayNameSchema.optional(),
  mode: ZAgentModeSchema.optional(),
  profiles: z
    .strictObject({ asr: z.uuid().nullable(), llm: z.uuid().nullable(), tts: z.uuid().nullable(), sts: z.uuid().nullable() })
    .partial()
    .optional(),
  prompt: ZPromptSchema.optional(),
  greeting: ZGreetingSchema.optional(),
  language: ZLanguageSchema.optional(),
  voice: ZVoiceSchema.nullable().optional(),
});
export const ZAgentKey = z.strictObject({ id: ZObjectIdSchema });

export type TAgentView = ReturnType<typeof agentView>;

/** An agent as the API shows it: the contract's shape plus timestamps. */
export function agentView(a: Agent) {
  return {
    id: a.id,
    name: a.name,
    mode: a.mode,
    profiles: {
      asr: a.asrProfileId ?? undefined,
      llm: a.llmProfileId ?? undefined,
      tts: a.ttsProfileId ?? undefined,
      sts: a.stsProfileId ?? undefined,
    },
    prompt: a.prompt,
    greeting: a.greeting,
    language: a.language,
    voice: a.voice ?? undefined,
    createdAt: a.createdAt,
    updatedAt: a.updatedAt,
  };
}

/** Every profile an agent names must exist and be of the kind it is used for. */
async function checkProfiles(db: PrismaClient, profiles: Partial<Record<"asr" | "llm" | "tts" | "sts", string | null | undefined>>) {
  for (const [kind, id] of Object.entries(profiles)) {
    if (!id) continue;
    const profile = await db.providerProfile.findUnique({ where: { id }, select: { kind: true } });
    if (profile?.kind !== kind) throw new DataError("BAD_REQUEST", `profiles.${kind}: no ${kind} provider profile ${id}`);
  }
}

export async function listAgents(db: PrismaClient) {
  return (await db.agent.findMany({ orderBy: { id: "asc" } })).map(agentView);
}

export async function getAgent(db: PrismaClient, id: string) {
  const agent = await db.agent.findUnique({ where: { id } });
  if (!agent) throw notFound(`agent ${id}`);
  return agentView(agent);
}

export async function createAgent(db: PrismaClient, input: z.output<typeof ZCreateAgentInput>) {
  const { profiles, voice, ...fields } = input;
  await checkProfiles(db, profiles);
  const agent = await unique(`agent ${input.id}`, () =>
    db.agent.create({
      data: {
        ...fields,
        voice: voice ?? null,
        asrProfileId: profiles.asr ?? null,
        llmProfileId: profiles.llm ?? null,
        ttsProfileId: profiles.tts ?? null,
        stsProfileId: profiles.sts ?? null,
      },
    }),
  );
  return agentView(agent);
}

export async function updateAgent(db: PrismaClient, input: z.output<typeof ZUpdateAgentInput>) {
  const { id, profiles, ...fields } = input;
  if (profiles) await checkProfiles(db, profiles);
  const agent = await orNotFound(`agent ${id}`, () =>
    db.agent.update({
      where: { id },
      data: {
        ...fields,
        ...(profiles?.asr !== undefined && { asrProfileId: profiles.asr }),
        ...(profiles?.llm !== undefined && { llmProfileId: profiles.llm }),
        ...(profiles?.tts !== undefined && { ttsProfileId: profiles.tts }),
        ...(profiles?.sts !== undefined && { stsProfileId: profiles.sts }),
        updatedAt: new Date(),
      },
    }),
  );
  return agentView(agent);
}

/** Deleting an agent deletes its numbers too (they would route nowhere). */
export async function deleteAgent(db: PrismaClient, id: string) {
  await orNotFound(`agent ${id}`, () => db.agent.delete({ where: { id } }));
  return { deleted: id };
}
