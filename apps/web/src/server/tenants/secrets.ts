// A tenant's deployment secrets and license key live in the platform database only sealed with
// the platform's secret key (AES-GCM, @dsai/contracts' secret box). They are made once, at the
// tenant's first run, and kept: every later apply must present the same ones.
import { randomBytes } from "node:crypto";
import { openSecret, sealSecret } from "@dsai/contracts";
import type { TTenantDeployment } from "@dsai/stacks";

export type TTenantSecrets = TTenantDeployment["secrets"];

export function newTenantSecrets(): TTenantSecrets {
  return {
    tenantToken: randomBytes(32).toString("base64url"),
    secretKey: randomBytes(32).toString("base64"),
    platformSecret: randomBytes(32).toString("base64url"),
    databasePassword: randomBytes(24).toString("base64url"),
  };
}

export const sealJson = (key: Buffer, value: unknown) => sealSecret(key, JSON.stringify(value));
export const openJson = <T>(key: Buffer, sealed: string) => JSON.parse(openSecret(key, sealed)) as T;
