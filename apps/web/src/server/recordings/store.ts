// Call recordings on this machine: the shared Asterisk writes <dir>/<slug>/<call id>.wav
// (MixMonitor, for numbers that record); the console streams them to the tenant's members and
// the worker removes a tenant's folder when the tenant is deleted, so a later tenant of the
// same slug never inherits them. Names are checked before they become paths.
import { createReadStream, type ReadStream } from "node:fs";
import { rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { ZSlugSchema } from "@dsai/contracts";

const CALL_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export type TRecording = { size: number; open(): ReadStream };
export type TRecordingStore = {
  /** The recording of a tenant's call, or null when the call was not recorded (or the id is not a call id). */
  find(slug: string, callId: string): Promise<TRecording | null>;
  /** Removes every recording of the tenant. */
  removeTenant(slug: string): Promise<void>;
};

export function recordingStore(dir: string): TRecordingStore {
  const folderOf = (slug: string) => join(dir, ZSlugSchema.parse(slug));
  return {
    async find(slug, callId) {
      if (!CALL_ID.test(callId)) return null;
      const file = join(folderOf(slug), `${callId}.wav`);
      const info = await stat(file).catch(() => null);
      if (!info?.isFile()) return null;
      return { size: info.size, open: () => createReadStream(file) };
    },
    async removeTenant(slug) {
      await rm(folderOf(slug), { recursive: true, force: true });
    },
  };
}
