// Sample tenants for tests and the benchmark: valid data shaped like real tenants.
import type { TTenantAsteriskInput } from "../src/tenant-data.ts";

export function sampleTenant(
  slug: string,
  options: { numbers?: number; trunks?: number; phones?: number; status?: "active" | "suspended" } = {},
): TTenantAsteriskInput {
  const trunks = Array.from({ length: options.trunks ?? 2 }, (_, i) =>
    i % 2 === 0
      ? {
          id: `carrier-${i}`,
          mode: "registration" as const,
          host: `sip${i}.carrier.example`,
          username: `acct${i}-${slug}`,
          password: `s3cret-pass-${i}-xyz`,
        }
      : {
          id: `peer-${i}`,
          mode: "ip" as const,
          host: `198.51.100.${10 + i}`,
          match: [`198.51.100.${i}/32`, "203.0.113.0/24"],
          codecs: ["alaw" as const],
        },
  );
  return {
    slug,
    status: options.status ?? "active",
    core: { host: `core-${slug}`, httpPort: 8080, audioSocketPort: 9092 },
    token: `tok_${slug.replace(/-/g, "")}_0123456789abcdefghijklmnopqrstuv`.slice(0, 64),
    numbers: Array.from({ length: options.numbers ?? 10 }, (_, i) => ({
      number: `+1555${String(1000 + i)}`,
      agentId: i % 3 === 0 ? "sales" : "support",
      record: i === 0,
    })),
    trunks,
    phones: Array.from({ length: options.phones ?? 1 }, (_, i) => ({
      id: `phone-${i}`,
      extension: String(200 + i),
      password: `phone-pass-${i}-abcdef`,
    })),
  };
}
