// The check a planned change passes before anyone can approve it: its trunks follow the
// operator's rules (sip-rules.ts) and its numbers and source networks are free platform-wide
// (sip-claims.ts), which it then holds. A refusal names each field and why, never the tenant
// that holds what was asked for.
import type { TResolve, TTenantDesiredState } from "@dsai/contracts";
import type { PrismaClient } from "@dsai/db";
import { RefusedChangeError } from "../errors.ts";
import { reserveSipClaims } from "./sip-claims.ts";
import { checkSipRules, type TSipPolicy } from "./sip-rules.ts";

export class SipOwnershipError extends RefusedChangeError {}

export async function claimSipOwnership(
  db: PrismaClient,
  o: { tenantId: string; runId: string; desiredState: TTenantDesiredState; policy: TSipPolicy; resolve: TResolve },
): Promise<void> {
  // The rules first, outside the claims' lock (a host's name is resolved).
  const refused = await checkSipRules(o.desiredState, o.policy, o.resolve);
  if (refused.length > 0) throw new SipOwnershipError("SIP trunks", refused);
  const taken = await reserveSipClaims(db, o);
  if (taken.length > 0) throw new SipOwnershipError("SIP ownership", taken);
}
