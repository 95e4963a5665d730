// Which real Asterisk the tests run, as set-up resolved it (scripts/setup/asterisk.ts writes
// .build/asterisk.json): ASTERISK_BIN, an `asterisk` on PATH, or the prebuilt Asterisk 22 build
// unpacked into the DSAI cache — or the reason there is none, which the tests report as skipped.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";

export const ZAsteriskInstallSchema = z.strictObject({
  source: z.enum(["ASTERISK_BIN", "PATH", "prebuilt"]),
  version: z.string(),
  bin: z.string(),
  /** Folder of the build's own shared libraries (LD_LIBRARY_PATH), for the prebuilt build. */
  libDir: z.string().optional(),
  /** Module and data folders; absent means the binary's compiled-in ones. */
  modDir: z.string().optional(),
  dataDir: z.string().optional(),
  /** English core sounds (Debian's asterisk-core-sounds-en-gsm), served as sounds/en. */
  soundsDir: z.string().optional(),
});
export type TAsteriskInstall = z.infer<typeof ZAsteriskInstallSchema>;

export const ZAsteriskRecordSchema = z.union([
  z.strictObject({ found: z.literal(true), install: ZAsteriskInstallSchema }),
  z.strictObject({ found: z.literal(false), reason: z.string() }),
]);
export type TAsteriskRecord = z.infer<typeof ZAsteriskRecordSchema>;

export const REPO_ROOT = join(import.meta.dirname, "..", "..", "..");
export const ASTERISK_RECORD_FILE = join(REPO_ROOT, ".build", "asterisk.json");

/** The install set-up recorded, or why there is none (never throws: a missing record is a reason). */
export function readAsteriskRecord(file = ASTERISK_RECORD_FILE): TAsteriskRecord {
  if (!existsSync(file)) return { found: false, reason: `no ${file}: run \`npm run setup\` (npm test runs it first)` };
  const parsed = ZAsteriskRecordSchema.safeParse(JSON.parse(readFileSync(file, "utf8")));
  return parsed.success ? parsed.data : { found: false, reason: `${file} is not a valid record: ${parsed.error.message}` };
}

/** The recorded install for a test file; logs the reason once when the real-Asterisk tests skip. */
export function asteriskForTests(): TAsteriskInstall | undefined {
  const record = readAsteriskRecord();
  if (record.found) return record.install;
  process.stderr.write(`real-Asterisk tests skipped: ${record.reason}\n`);
  return undefined;
}
