-- SIP ownership: the numbers and trunk source networks each tenant holds in the one shared
-- Asterisk, planned or applied. Tenants applied before this migration get theirs from their
-- last succeeded run's desired state when the worker starts (backfillSipClaims): the same
-- TypeScript that normalizes numbers and networks at plan time, not a second version in SQL.

-- CreateEnum
CREATE TYPE "SipClaimKind" AS ENUM ('number', 'network');

-- CreateEnum
CREATE TYPE "SipClaimState" AS ENUM ('planned', 'applied');

-- CreateTable
CREATE TABLE "SipClaim" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "runId" UUID NOT NULL,
    "kind" "SipClaimKind" NOT NULL,
    "value" TEXT NOT NULL,
    "state" "SipClaimState" NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SipClaim_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "SipClaim_kind_value_idx" ON "SipClaim"("kind", "value");

-- CreateIndex
CREATE INDEX "SipClaim_tenantId_state_idx" ON "SipClaim"("tenantId", "state");

-- CreateIndex
CREATE UNIQUE INDEX "SipClaim_runId_kind_value_key" ON "SipClaim"("runId", "kind", "value");

-- AddForeignKey
ALTER TABLE "SipClaim" ADD CONSTRAINT "SipClaim_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SipClaim" ADD CONSTRAINT "SipClaim_runId_fkey" FOREIGN KEY ("runId") REFERENCES "ProvisioningRun"("id") ON DELETE CASCADE ON UPDATE CASCADE;
