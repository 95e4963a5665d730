// Who and what may reach the tenant from outside: API keys and webhook endpoints.
import { createApiKey, listApiKeys, revokeApiKey, ZApiKeyKey, ZCreateApiKeyInput } from "../data/api-keys.ts";
import {
  createWebhook,
  deleteWebhook,
  listWebhooks,
  webhookDeliveries,
  ZCreateWebhookInput,
  ZWebhookDeliveriesInput,
  ZWebhookKey,
} from "../data/webhooks.ts";
import { authedProcedure, router } from "../trpc.ts";

export const apiKeysRouter = router({
  list: authedProcedure.query(({ ctx }) => listApiKeys(ctx.db)),
  create: authedProcedure.input(ZCreateApiKeyInput).mutation(({ ctx, input }) => createApiKey(ctx.db, input)),
  revoke: authedProcedure.input(ZApiKeyKey).mutation(({ ctx, input }) => revokeApiKey(ctx.db, input.id)),
});

export const webhooksRouter = router({
  list: authedProcedure.query(({ ctx }) => listWebhooks(ctx.db)),
  create: authedProcedure.input(ZCreateWebhookInput).mutation(({ ctx, input }) => createWebhook(ctx.db, ctx.secretKey, input)),
  delete: authedProcedure.input(ZWebhookKey).mutation(({ ctx, input }) => deleteWebhook(ctx.db, input.id)),
  deliveries: authedProcedure.input(ZWebhookDeliveriesInput).query(({ ctx, input }) => webhookDeliveries(ctx.db, input)),
});
