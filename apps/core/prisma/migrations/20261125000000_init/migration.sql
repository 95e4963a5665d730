-- CreateEnum
CREATE TYPE "TenantStatus" AS ENUM ('active', 'suspended');

-- CreateEnum
CREATE TYPE "ProviderKind" AS ENUM ('asr', 'llm', 'tts', 'sts');

-- CreateEnum
CREATE TYPE "AgentMode" AS ENUM ('pipeline', 'sts');

-- CreateEnum
CREATE TYPE "CallStatus" AS ENUM ('opened', 'active', 'ended', 'failed');

-- CreateEnum
CREATE TYPE "CallEventKind" AS ENUM ('transcript', 'dtmf', 'interruption', 'error', 'latency', 'tool');

-- CreateEnum
CREATE TYPE "OutboxKind" AS ENUM ('usage', 'webhook');

-- CreateTable
CREATE TABLE "tenant_setting" (
    "id" INTEGER NOT NULL DEFAULT 1,
    "status" "TenantStatus" NOT NULL DEFAULT 'active',
    "updated_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "tenant_setting_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "provider_profile" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "kind" "ProviderKind" NOT NULL,
    "url" TEXT NOT NULL,
    "settings" JSONB NOT NULL DEFAULT '{}',
    "secret_ciphertext" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "provider_profile_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "agent" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "mode" "AgentMode" NOT NULL DEFAULT 'pipeline',
    "greeting" TEXT NOT NULL DEFAULT '',
    "prompt" TEXT NOT NULL DEFAULT '',
    "language" TEXT NOT NULL DEFAULT 'en-US',
    "voice" TEXT,
    "asr_profile_id" UUID,
    "llm_profile_id" UUID,
    "tts_profile_id" UUID,
    "sts_profile_id" UUID,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "agent_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "phone_number" (
    "id" UUID NOT NULL,
    "number" TEXT NOT NULL,
    "agent_id" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "phone_number_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sip_trunk" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "host" TEXT NOT NULL,
    "port" INTEGER NOT NULL DEFAULT 5060,
    "transport" TEXT NOT NULL DEFAULT 'udp',
    "username" TEXT,
    "password_ciphertext" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "sip_trunk_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "api_key" (
    "id" UUID NOT NULL,
    "key_id" TEXT NOT NULL,
    "secret_hash" TEXT NOT NULL,
    "label" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_used_at" TIMESTAMP(3),
    "revoked_at" TIMESTAMP(3),

    CONSTRAINT "api_key_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "call" (
    "id" UUID NOT NULL,
    "agent_id" TEXT NOT NULL,
    "from_number" TEXT NOT NULL,
    "to_number" TEXT NOT NULL,
    "status" "CallStatus" NOT NULL DEFAULT 'opened',
    "opened_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "answered_at" TIMESTAMP(3),
    "ended_at" TIMESTAMP(3),
    "billed_seconds" INTEGER,
    "hangup_cause" TEXT,
    "transfer_target" TEXT,

    CONSTRAINT "call_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "call_event" (
    "id" BIGSERIAL NOT NULL,
    "call_id" UUID NOT NULL,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "kind" "CallEventKind" NOT NULL,
    "role" TEXT,
    "text" TEXT,
    "data" JSONB,

    CONSTRAINT "call_event_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "webhook_endpoint" (
    "id" UUID NOT NULL,
    "url" TEXT NOT NULL,
    "secret_ciphertext" TEXT NOT NULL,
    "events" TEXT[],
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "webhook_endpoint_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "outbox" (
    "id" BIGSERIAL NOT NULL,
    "kind" "OutboxKind" NOT NULL,
    "dedupe_key" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "next_attempt_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "delivered_at" TIMESTAMP(3),
    "last_error" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "outbox_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "provider_profile_name_key" ON "provider_profile"("name");

-- CreateIndex
CREATE UNIQUE INDEX "phone_number_number_key" ON "phone_number"("number");

-- CreateIndex
CREATE UNIQUE INDEX "sip_trunk_name_key" ON "sip_trunk"("name");

-- CreateIndex
CREATE UNIQUE INDEX "api_key_key_id_key" ON "api_key"("key_id");

-- CreateIndex
CREATE INDEX "call_opened_at_idx" ON "call"("opened_at");

-- CreateIndex
CREATE INDEX "call_event_call_id_id_idx" ON "call_event"("call_id", "id");

-- CreateIndex
CREATE UNIQUE INDEX "outbox_dedupe_key_key" ON "outbox"("dedupe_key");

-- CreateIndex
CREATE INDEX "outbox_delivered_at_next_attempt_at_idx" ON "outbox"("delivered_at", "next_attempt_at");

-- AddForeignKey
ALTER TABLE "phone_number" ADD CONSTRAINT "phone_number_agent_id_fkey" FOREIGN KEY ("agent_id") REFERENCES "agent"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "call_event" ADD CONSTRAINT "call_event_call_id_fkey" FOREIGN KEY ("call_id") REFERENCES "call"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- The platform's suspend/reactivate flips this single row.
INSERT INTO "tenant_setting" ("id") VALUES (1);
