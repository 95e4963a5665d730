-- AlterTable: a heartbeat of live calls, so a core that restarts after a crash can bill its
-- orphaned calls up to the last moment they were known to be up.
ALTER TABLE "call" ADD COLUMN "last_seen_at" TIMESTAMP(3);
