// What a tenant's dashboard manages lives in the tenant's own database, behind its core's tenant
// API: these procedures check the caller's role here, then call the core with the platform's
// service token. The core validates every field with the contracts' rules and its refusals come
// back field by field. Members read; admins and owners change; every change is audited.
import type { TTenantApiRouter } from "@dsai/core";
import { type inferRouterInputs, TRPCError } from "@trpc/server";
import { z } from "zod";
import { coreEndpointOf, coreOf, type TTenantCore, viaCore } from "../../tenant-core/client.ts";
import { offlineProviderProfiles } from "../../tenants/offline-providers.ts";
import { router, tenantProcedure } from "../trpc.ts";
import { licenseOf } from "./admin.ts";

type TIn = inferRouterInputs<TTenantApiRouter>;
const read = tenantProcedure("member");
const write = tenantProcedure("admin");
/** The core's input for the procedure, as the client typed it; the core checks every field. */
const ZData = z.object({ data: z.record(z.string(), z.unknown()) });
const ZKey = z.object({ id: z.string().min(1).max(200) });

type TCtx = Parameters<Parameters<typeof write.mutation>[0]>[0]["ctx"];
const core = (ctx: TCtx): TTenantCore =>
  coreOf(ctx.tenant, { endpoint: coreEndpointOf(ctx.tenant, ctx.cores), baseDomain: ctx.baseDomain, secretKey: ctx.cores.secretKey });

/** A change through the core, recorded in the platform's audit log with what it named. */
async function change<T>(ctx: TCtx, action: string, detail: object, call: (c: TTenantCore) => Promise<T>): Promise<T> {
  const result = await viaCore(() => call(core(ctx)));
  await ctx.db.auditEntry.create({ data: { userId: ctx.user.id, tenantId: ctx.tenant.id, action, detail } });
  return result;
}

export const agentRouter = router({
  list: read.query(({ ctx }) => viaCore(() => core(ctx).agents.list.query())),
  get: read.input(ZKey).query(({ ctx, input }) => viaCore(() => core(ctx).agents.get.query({ id: input.id }))),
  create: write
    .input(ZData)
    .mutation(({ ctx, input }) =>
      change(ctx, "agent.create", { id: input.data.id }, (c) => c.agents.create.mutate(input.data as TIn["agents"]["create"])),
    ),
  update: write
    .input(ZData)
    .mutation(({ ctx, input }) =>
      change(ctx, "agent.update", { id: input.data.id }, (c) => c.agents.update.mutate(input.data as TIn["agents"]["update"])),
    ),
  delete: write
    .input(ZKey)
    .mutation(({ ctx, input }) => change(ctx, "agent.delete", input, (c) => c.agents.delete.mutate({ id: input.id }))),
});

export const providerProfileRouter = router({
  list: read.query(({ ctx }) => viaCore(() => core(ctx).providerProfiles.list.query())),
  create: write
    .input(ZData)
    .mutation(({ ctx, input }) =>
      change(ctx, "providerProfile.create", { name: input.data.name }, (c) =>
        c.providerProfiles.create.mutate(input.data as TIn["providerProfiles"]["create"]),
      ),
    ),
  /** ASR, LLM and TTS from the platform's providers image: a call works with no external service. */
  addOffline: write.mutation(async ({ ctx }) => {
    const image = ctx.providersImage;
    if (!image) throw new TRPCError({ code: "PRECONDITION_FAILED", message: "This platform offers no offline providers image." });
    // Those already there (by name) are kept: adding again after a partial failure completes the set.
    const existing = new Set((await viaCore(() => core(ctx).providerProfiles.list.query())).map((p) => p.name));
    const missing = offlineProviderProfiles(image).filter((p) => !existing.has(p.name));
    for (const profile of missing)
      await change(ctx, "providerProfile.create", { name: profile.name }, (c) => c.providerProfiles.create.mutate(profile));
    return { added: missing.map((p) => p.name) };
  }),
  delete: write
    .input(ZKey)
    .mutation(({ ctx, input }) => change(ctx, "providerProfile.delete", input, (c) => c.providerProfiles.delete.mutate({ id: input.id }))),
});

export const numberRouter = router({
  list: read.query(({ ctx }) => viaCore(() => core(ctx).numbers.list.query())),
  create: write
    .input(ZData)
    .mutation(({ ctx, input }) =>
      change(ctx, "number.create", { number: input.data.number }, (c) => c.numbers.create.mutate(input.data as TIn["numbers"]["create"])),
    ),
  delete: write
    .input(z.object({ number: z.string().min(1).max(32) }))
    .mutation(({ ctx, input }) => change(ctx, "number.delete", input, (c) => c.numbers.delete.mutate({ number: input.number }))),
});

export const trunkRouter = router({
  list: read.query(({ ctx }) => viaCore(() => core(ctx).trunks.list.query())),
  create: write
    .input(ZData)
    .mutation(({ ctx, input }) =>
      change(ctx, "trunk.create", { id: input.data.id }, (c) => c.trunks.create.mutate(input.data as TIn["trunks"]["create"])),
    ),
  delete: write
    .input(ZKey)
    .mutation(({ ctx, input }) => change(ctx, "trunk.delete", input, (c) => c.trunks.delete.mutate({ id: input.id }))),
});

export const phoneRouter = router({
  list: read.query(({ ctx }) => viaCore(() => core(ctx).phones.list.query())),
  create: write
    .input(ZData)
    .mutation(({ ctx, input }) =>
      change(ctx, "phone.create", { id: input.data.id }, (c) => c.phones.create.mutate(input.data as TIn["phones"]["create"])),
    ),
  delete: write
    .input(ZKey)
    .mutation(({ ctx, input }) => change(ctx, "phone.delete", input, (c) => c.phones.delete.mutate({ id: input.id }))),
});

export const apiKeyRouter = router({
  list: read.query(({ ctx }) => viaCore(() => core(ctx).apiKeys.list.query())),
  /** The key's secret is in this answer only: the core keeps its hash. */
  create: write
    .input(ZData)
    .mutation(({ ctx, input }) =>
      change(ctx, "apiKey.create", { label: input.data.label }, (c) => c.apiKeys.create.mutate(input.data as TIn["apiKeys"]["create"])),
    ),
  revoke: write
    .input(ZKey)
    .mutation(({ ctx, input }) => change(ctx, "apiKey.revoke", input, (c) => c.apiKeys.revoke.mutate({ id: input.id }))),
});

export const webhookRouter = router({
  list: read.query(({ ctx }) => viaCore(() => core(ctx).webhooks.list.query())),
  create: write
    .input(ZData)
    .mutation(({ ctx, input }) =>
      change(ctx, "webhook.create", { url: input.data.url }, (c) => c.webhooks.create.mutate(input.data as TIn["webhooks"]["create"])),
    ),
  delete: write
    .input(ZKey)
    .mutation(({ ctx, input }) => change(ctx, "webhook.delete", input, (c) => c.webhooks.delete.mutate({ id: input.id }))),
  deliveries: read.input(ZKey).query(({ ctx, input }) => viaCore(() => core(ctx).webhooks.deliveries.query({ id: input.id, limit: 50 }))),
});

export const callRouter = router({
  list: read
    .input(z.object({ filter: z.record(z.string(), z.unknown()).default({}) }))
    .query(({ ctx, input }) => viaCore(() => core(ctx).calls.list.query(input.filter as TIn["calls"]["list"]))),
  get: read.input(ZKey).query(async ({ ctx, input }) => {
    const call = await viaCore(() => core(ctx).calls.get.query({ id: input.id }));
    return { ...call, hasRecording: Boolean(await ctx.recordings?.find(ctx.tenant.slug, call.id)) };
  }),
  live: read.query(({ ctx }) => viaCore(() => core(ctx).calls.live.query())),
});

export const usageRouter = router({
  /** Credits left on the tenant's license, from the License Service. */
  credits: read.query(async ({ ctx }) => {
    if (!ctx.tenant.licenseId) return { licenseId: null, remainingSeconds: null, status: null };
    const license = await licenseOf(ctx).show(ctx.tenant.licenseId);
    return { licenseId: license.id, remainingSeconds: license.balanceSeconds - license.reservedSeconds, status: license.status };
  }),
  perDay: read
    .input(z.object({ days: z.number().int().min(1).max(366).default(30) }))
    .query(({ ctx, input }) => viaCore(() => core(ctx).usage.perDay.query({ days: input.days }))),
});
