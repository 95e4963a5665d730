-- The tenant database holds everything its stack needs (the desired state): provider profiles
-- run as a local image or reached at a URL, numbers with recording, trunks with their mode,
-- match networks and codecs, and WebRTC phones.

-- CreateEnum
CREATE TYPE "TrunkMode" AS ENUM ('registration', 'ip');

-- AlterTable: a profile is an image (with its port) or a URL, never both
ALTER TABLE "provider_profile" ALTER COLUMN "url" DROP NOT NULL,
ADD COLUMN "image" TEXT,
ADD COLUMN "port" INTEGER,
ADD COLUMN "args" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN "env" JSONB NOT NULL DEFAULT '{}';
ALTER TABLE "provider_profile" ADD CONSTRAINT "provider_profile_runtime_check"
  CHECK (("image" IS NOT NULL AND "port" IS NOT NULL AND "url" IS NULL) OR ("image" IS NULL AND "port" IS NULL AND "url" IS NOT NULL));

-- AlterTable
ALTER TABLE "phone_number" ADD COLUMN "record" BOOLEAN NOT NULL DEFAULT false;

-- AlterTable
ALTER TABLE "sip_trunk" ADD COLUMN "mode" "TrunkMode" NOT NULL DEFAULT 'registration',
ADD COLUMN "match" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN "codecs" TEXT[] DEFAULT ARRAY['ulaw', 'alaw']::TEXT[];

-- CreateTable
CREATE TABLE "phone" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "extension" TEXT NOT NULL,
    "password_ciphertext" TEXT NOT NULL,
    "codecs" TEXT[] DEFAULT ARRAY['opus', 'ulaw']::TEXT[],
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "phone_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "phone_name_key" ON "phone"("name");

-- CreateIndex
CREATE UNIQUE INDEX "phone_extension_key" ON "phone"("extension");
