// Proves that a tenant's generated files hold exactly the objects its data intends: the PJSIP
// objects (name and type), the dialplan contexts, their extensions, includes and applications.
// The expectation is derived from the data and the naming scheme alone, not from the generator,
// so a generator bug (or a value that slipped through validation) shows up as a mismatch.
import type { TTenantConfigFiles } from "./generate.ts";
import { MAX_SECTION_NAME, tenantNames } from "./names.ts";
import { parseAsteriskConfig, parseDialplan } from "./parse.ts";
import type { TTenantAsterisk } from "./tenant-data.ts";

/** Applications the tenant dialplan may use: nothing that runs commands or reads files. */
export const ALLOWED_APPS = new Set(["Answer", "Set", "GotoIf", "Goto", "Gosub", "ExecIf", "Dial", "Hangup", "Playback", "MixMonitor"]);

export type TTenantObjects = {
  pjsip: string[];
  contexts: Record<string, { extensions: string[]; includes: string[] }>;
};

const sorted = (xs: Iterable<string>) => [...xs].sort();

export function intendedObjects(t: TTenantAsterisk): TTenantObjects {
  const n = tenantNames(t.slug);
  const pjsip: string[] = [];
  for (const trunk of t.trunks) {
    const id = n.trunk(trunk.id);
    pjsip.push(`${id}/endpoint`, `${id}/aor`);
    if (trunk.username !== undefined && trunk.password !== undefined) pjsip.push(`${n.auth(id)}/auth`);
    pjsip.push(trunk.mode === "registration" ? `${n.registration(id)}/registration` : `${n.identify(id)}/identify`);
  }
  for (const phone of t.phones) {
    const id = n.phone(phone.id);
    pjsip.push(`${id}/endpoint`, `${id}/aor`, `${n.auth(id)}/auth`);
  }
  const numbers = t.numbers.map((r) => r.number);
  const contexts: TTenantObjects["contexts"] = {
    [n.inboundContext]: { extensions: sorted(numbers), includes: [] },
    [n.phonesContext]: { extensions: sorted(numbers), includes: t.status === "active" ? [n.transferContext] : [] },
    [n.refuseContext]: { extensions: ["s"], includes: [] },
  };
  if (t.status === "active") {
    contexts[n.callContext] = { extensions: ["s"], includes: [] };
    const targets = t.phones.map((p) => p.extension);
    if (t.trunks.length > 0) targets.push("_X.", "_+X.");
    contexts[n.transferContext] = { extensions: sorted(targets), includes: [] };
  }
  return { pjsip: sorted(pjsip), contexts };
}

export function actualObjects(files: TTenantConfigFiles): TTenantObjects & { apps: string[]; directives: string[] } {
  const pjsipConfig = parseAsteriskConfig(files["pjsip.conf"]);
  const extConfig = parseAsteriskConfig(files["extensions.conf"]);
  const pjsip = pjsipConfig.sections.map((s) => {
    const types = s.entries.filter((e) => e.key === "type");
    const kind = types.length === 1 && !s.template && s.inherits.length === 0 ? types[0]?.value : "?";
    return `${s.name}/${kind}`;
  });
  const contexts: TTenantObjects["contexts"] = {};
  const apps = new Set<string>();
  for (const c of parseDialplan(extConfig)) {
    if (contexts[c.name]) throw new Error(`context ${c.name} appears twice`);
    for (const step of c.steps) {
      apps.add(step.app);
      // ExecIf and GotoIf carry an application or label after '?': check what ExecIf would run.
      const inner = /\?([A-Za-z]+)\(/.exec(step.args);
      if (step.app === "ExecIf" && inner?.[1]) apps.add(inner[1]);
    }
    contexts[c.name] = { extensions: sorted(new Set(c.steps.map((s) => s.exten))), includes: c.includes };
  }
  const directives = [...pjsipConfig.directives, ...extConfig.directives].map((d) => `#${d.directive} ${d.argument}`);
  return { pjsip: sorted(pjsip), contexts, apps: sorted(apps), directives };
}

export class TenantFilesMismatch extends Error {}

/** Throws TenantFilesMismatch unless `files` hold exactly what `data` intends. */
export function verifyTenantFiles(data: TTenantAsterisk, files: TTenantConfigFiles): void {
  const intended = intendedObjects(data);
  const actual = actualObjects(files);
  const problems: string[] = [];
  if (actual.directives.length > 0) problems.push(`directives: ${actual.directives.join(", ")}`);
  const extraApps = actual.apps.filter((a) => !ALLOWED_APPS.has(a));
  if (extraApps.length > 0) problems.push(`applications not allowed: ${extraApps.join(", ")}`);
  if (JSON.stringify(actual.pjsip) !== JSON.stringify(intended.pjsip)) {
    problems.push(`PJSIP objects differ: got ${actual.pjsip.join(" ")}; intended ${intended.pjsip.join(" ")}`);
  }
  const normalize = (c: TTenantObjects["contexts"]) => JSON.stringify(Object.entries(c).sort(([a], [b]) => (a < b ? -1 : 1)));
  if (normalize(actual.contexts) !== normalize(intended.contexts)) {
    problems.push(`dialplan differs: got ${normalize(actual.contexts)}; intended ${normalize(intended.contexts)}`);
  }
  const prefix = tenantNames(data.slug).tenantId;
  const foreign = [...actual.pjsip.map((p) => p.split("/")[0] as string), ...Object.keys(actual.contexts)].filter(
    (name) => !name.startsWith(`${prefix}_`),
  );
  if (foreign.length > 0) problems.push(`names outside the tenant's prefix ${prefix}_: ${foreign.join(", ")}`);
  const tooLong = [...actual.pjsip.map((p) => p.split("/")[0] as string), ...Object.keys(actual.contexts)].filter(
    (name) => name.length > MAX_SECTION_NAME,
  );
  if (tooLong.length > 0) problems.push(`names over ${MAX_SECTION_NAME} characters (Asterisk would cut them): ${tooLong.join(", ")}`);
  if (problems.length > 0) throw new TenantFilesMismatch(`tenant ${data.slug}: ${problems.join("; ")}`);
}

/** Names that two or more tenants' files define: must always be empty. */
export function duplicateNames(tenants: TTenantConfigFiles[]): string[] {
  const owners = new Map<string, number>();
  for (const files of tenants) {
    const objects = actualObjects(files);
    const names = new Set([...objects.pjsip, ...Object.keys(objects.contexts).map((c) => `context:${c}`)]);
    for (const name of names) owners.set(name, (owners.get(name) ?? 0) + 1);
  }
  return [...owners].filter(([, count]) => count > 1).map(([name]) => name);
}
