// `npm run bench:asterisk`: generate and validate (parse + verify) the Asterisk files of 1,000
// tenants with 10 numbers and 2 trunks each. Several runs; the median is reported.
import { generateTenantConfig, verifyTenantFiles } from "../packages/asterisk/src/index.ts";
import { sampleTenant } from "../packages/asterisk/test/samples.ts";
import { median, writeResult } from "./lib.ts";

const TENANTS = 1_000;
const RUNS = 7;

const inputs = Array.from({ length: TENANTS }, (_, i) => sampleTenant(`tenant-${i}`, { numbers: 10, trunks: 2, phones: 1 }));

function once(): number {
  const started = performance.now();
  for (const input of inputs) {
    const { data, files } = generateTenantConfig(input);
    verifyTenantFiles(data, files);
  }
  return performance.now() - started;
}

once(); // warm-up: JIT and first-use allocations are not what operators wait for
const times = Array.from({ length: RUNS }, once);
const total = median(times);
const file = writeResult(
  "asterisk",
  {
    generate_validate_1000_tenants_ms: { value: Number(total.toFixed(1)), unit: "ms", target: "< 1000" },
    per_tenant_ms: { value: Number((total / TENANTS).toFixed(3)), unit: "ms" },
    runs: { value: RUNS, unit: "count" },
  },
  `median of ${RUNS} runs after one warm-up; 10 numbers, 2 trunks, 1 phone per tenant`,
);
process.stdout.write(
  `generate+validate ${TENANTS} tenants: median ${total.toFixed(1)} ms (runs: ${times.map((t) => t.toFixed(0)).join(", ")}) -> ${file}\n`,
);
