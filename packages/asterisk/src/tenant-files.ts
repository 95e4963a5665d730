// A tenant's files in the shared Asterisk's config directory (<conf>/tenants/<slug>/), applied
// safely: each changed file is written to a temporary file, checked, and renamed over the old
// one; then only the modules of changed files are reloaded. If Asterisk refuses the reload,
// the previous files are put back (and reloaded) and the caller gets Asterisk's message.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ZSlugSchema } from "@dsai/contracts";
import { AriError, MODULE_OF_FILE, type TAsteriskControl, type TReloadableModule } from "./control.ts";
import { generateTenantConfig, type TTenantConfigFiles } from "./generate.ts";
import { verifyTenantFiles } from "./verify.ts";

type TFileName = keyof TTenantConfigFiles;
const FILES: TFileName[] = ["pjsip.conf", "extensions.conf"];

export type TApplyResult = { changed: TFileName[]; reloaded: TReloadableModule[] };

export class ReloadError extends Error {
  constructor(
    readonly module: string,
    readonly asteriskMessage: string,
  ) {
    super(`Asterisk refused to reload ${module}: ${asteriskMessage}; the previous files were restored`);
  }
}

export function tenantDir(confDir: string, slug: string): string {
  // The slug names a folder: validate it even though callers pass validated data.
  return join(confDir, "tenants", ZSlugSchema.parse(slug));
}

function writeAtomically(file: string, text: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, text, { mode: 0o640 });
  renameSync(tmp, file);
}

function readIfExists(file: string): string | undefined {
  return existsSync(file) ? readFileSync(file, "utf8") : undefined;
}

export async function applyTenantFiles(options: { confDir: string; tenant: unknown; control: TAsteriskControl }): Promise<TApplyResult> {
  // Invalid data throws here, before any file is touched.
  const { data, files } = generateTenantConfig(options.tenant);
  verifyTenantFiles(data, files);
  const dir = tenantDir(options.confDir, data.slug);
  mkdirSync(dir, { recursive: true });
  const previous = Object.fromEntries(FILES.map((f) => [f, readIfExists(join(dir, f))])) as Record<TFileName, string | undefined>;
  const changed = FILES.filter((f) => previous[f] !== files[f]);
  for (const f of changed) writeAtomically(join(dir, f), files[f]);
  const reloaded: TReloadableModule[] = [];
  for (const f of changed) {
    const module = MODULE_OF_FILE[f];
    try {
      await options.control.reloadModule(module);
      reloaded.push(module);
    } catch (err) {
      for (const g of changed) {
        const before = previous[g];
        if (before === undefined) rmSync(join(dir, g), { force: true });
        else writeAtomically(join(dir, g), before);
      }
      // Bring Asterisk back to the restored files; its own error is what the caller needs.
      for (const m of reloaded) await options.control.reloadModule(m).catch(() => {});
      throw err instanceof AriError ? new ReloadError(module, err.asteriskMessage) : err;
    }
  }
  return { changed, reloaded };
}

/** Deleting a tenant: hang up its channels, remove its folder, reload both modules. */
export async function removeTenantFiles(options: {
  confDir: string;
  slug: string;
  control: TAsteriskControl;
  coreAudioSocket?: string;
}): Promise<{ hungUp: number }> {
  const dir = tenantDir(options.confDir, options.slug);
  const hungUp = await options.control.hangupTenantChannels(options.slug, options.coreAudioSocket);
  rmSync(dir, { recursive: true, force: true });
  for (const module of Object.values(MODULE_OF_FILE)) await options.control.reloadModule(module);
  return { hungUp };
}
