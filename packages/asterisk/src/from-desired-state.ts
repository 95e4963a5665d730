// A tenant's desired state (@dsai/contracts) -> the generator's input: its numbers, trunks,
// phones and status, with the trunk and phone passwords opened (they are sealed with the
// tenant's key in the desired state), plus the deployment facts the tenant database does not
// hold — where its core listens and the token the dialplan presents.
import type { TTenantDesiredState } from "@dsai/contracts";
import type { TTenantAsteriskInput } from "./tenant-data.ts";

export type TTenantDeployment = {
  core: { host: string; httpPort: number; audioSocketPort: number };
  token: string;
};

export function asteriskInputOf(
  desired: TTenantDesiredState,
  deployment: TTenantDeployment,
  openSecret: (sealed: string) => string,
): TTenantAsteriskInput {
  return {
    slug: desired.slug,
    status: desired.status,
    core: deployment.core,
    token: deployment.token,
    numbers: desired.numbers,
    trunks: desired.trunks.map(({ password, ...trunk }) => ({
      ...trunk,
      ...(password !== undefined && { password: openSecret(password) }),
    })),
    phones: desired.phones.map((phone) => ({ ...phone, password: openSecret(phone.password) })),
  };
}
