-- Configuration changes are planned first and applied once a person approves the plan.

-- AlterEnum
ALTER TYPE "RunStatus" ADD VALUE 'planned';
ALTER TYPE "RunStatus" ADD VALUE 'discarded';

-- AlterTable
ALTER TABLE "ProvisioningRun" ADD COLUMN "approvedAt" TIMESTAMP(3),
ADD COLUMN "approvedById" UUID;
