// Property: whatever string lands in whatever field, the generator either rejects the tenant
// with an error naming that field, or produces files that hold exactly the intended objects
// (no extra section, line, application, include or directive).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { generateTenantConfig } from "../src/generate.ts";
import { TenantDataError } from "../src/tenant-data.ts";
import { verifyTenantFiles } from "../src/verify.ts";
import { anyString } from "../testing/hostile-strings.ts";
import { sampleTenant } from "./samples.ts";

/** Every string field that reaches a file, as a path into the sample tenant. */
const FIELDS: (string | number)[][] = [
  ["slug"],
  ["token"],
  ["core", "host"],
  ["numbers", 0, "number"],
  ["numbers", 0, "agentId"],
  ["trunks", 0, "id"],
  ["trunks", 0, "host"],
  ["trunks", 0, "username"],
  ["trunks", 0, "password"],
  ["trunks", 1, "match", 0],
  ["trunks", 0, "codecs", 0],
  ["phones", 0, "id"],
  ["phones", 0, "extension"],
  ["phones", 0, "password"],
  ["status"],
];

function withValue(path: (string | number)[], value: string): unknown {
  const tenant = structuredClone(sampleTenant("acme", { numbers: 3 })) as Record<string | number, unknown>;
  let node = tenant as Record<string | number, unknown>;
  for (const [i, key] of path.slice(0, -1).entries()) {
    node[key] ??= typeof path[i + 1] === "number" ? [] : {};
    node = node[key] as Record<string | number, unknown>;
  }
  node[path.at(-1) as string | number] = value;
  return tenant;
}

describe("generated files cannot be injected into", () => {
  it.each(FIELDS.map((f) => [f.join(".")] as const))("through %s", (field) => {
    const path = FIELDS.find((f) => f.join(".") === field) as (string | number)[];
    let accepted = 0;
    fc.assert(
      fc.property(anyString, (value) => {
        let result: ReturnType<typeof generateTenantConfig>;
        try {
          result = generateTenantConfig(withValue(path, value));
        } catch (err) {
          // Rejected: the error must name the field the bad value was put in.
          expect(err).toBeInstanceOf(TenantDataError);
          expect((err as TenantDataError).issues.map((i) => i.path)).toContain(field);
          return;
        }
        accepted += 1;
        verifyTenantFiles(result.data, result.files);
        // An accepted value carries none of the characters that mean something to Asterisk
        // ('=' may appear in secrets: a value is everything after the first '=').
        expect(value).not.toMatch(/[\n\r;[\],${}#"'\\\s()]/);
      }),
      { numRuns: 300, seed: 20261124 },
    );
    expect(accepted).toBeLessThan(300);
  });
});
