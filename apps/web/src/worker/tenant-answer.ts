// What a tenant's core answers is the tenant's word, not the platform's: the core runs the
// tenant's data and may be compromised. Its desired state is checked against the tenant it was
// asked of before anything is planned — the provisioner names folders, stacks, Docker objects
// and Asterisk files after the state's slug, so a state naming another tenant would rewrite that
// tenant. Sizes are bounded by the contract itself (ZTenantDesiredStateSchema's maxima) and the
// answer's bytes by the client that read it (host-fetch.ts).
import { type TTenantDesiredState, ZTenantDesiredStateSchema } from "@dsai/contracts";
import { InputError, RefusedChangeError } from "../server/errors.ts";

/** Thrown when a core's answer is not about its own tenant; the run fails with this message. */
export class ForeignStateError extends Error {}

/** What the operator allows one tenant on this platform (the worker's `limits`). */
export type TTenantLimits = { providerContainersPerTenant: number };

/** Refuses a planned change past the operator's limits: each provider profile that runs as an image is a container here. */
export function checkTenantLimits(state: TTenantDesiredState, limits: TTenantLimits): void {
  const containers = state.providerProfiles.filter((p) => p.runtime.type === "image").length;
  if (containers > limits.providerContainersPerTenant)
    throw new RefusedChangeError("change", [
      {
        path: "providerProfiles",
        message: `${containers} provider profiles run as images: this platform runs at most ${limits.providerContainersPerTenant} per tenant (use an external service's URL, or remove some)`,
      },
    ]);
}

/** The desired state `answer`, if it is valid and is `tenant`'s own. */
export function ownDesiredState(tenant: { slug: string }, answer: unknown): TTenantDesiredState {
  const state = InputError.parse(ZTenantDesiredStateSchema, answer, "the core's desired state");
  if (state.slug !== tenant.slug)
    // The other slug is not repeated: a run's error is shown to the tenant's members.
    throw new ForeignStateError(`The core of ${tenant.slug} answered a desired state of another tenant: refused, nothing was planned.`);
  return state;
}
