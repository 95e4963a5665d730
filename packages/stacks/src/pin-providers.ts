// The prebuilt @cdktf/provider-* bindings name the provider versions they were generated from;
// stacks instead pin exactly the versions of the local toolchain (packages/stacks/toolchain.json),
// so `tofu init` resolves them from the offline mirror.
import type { TerraformStack } from "cdktf";
import toolchain from "../toolchain.json" with { type: "json" };

export const PROVIDER_PINS: Readonly<Record<string, { source: string; version: string }>> = Object.fromEntries(
  toolchain.providers.map((p) => [p.name, { source: p.source, version: p.version }]),
);

export function pinProviders(stack: TerraformStack, names: string[]): void {
  for (const name of names) {
    const pin = PROVIDER_PINS[name];
    if (!pin) throw new Error(`no pinned provider "${name}" in toolchain.json`);
    stack.addOverride(`terraform.required_providers.${name}`, { source: pin.source, version: pin.version });
  }
}
