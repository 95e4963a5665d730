// The tenant's files in the shared Asterisk's configuration, written by the stack itself
// (hashicorp/local): generated from the desired state by @dsai/asterisk, passwords opened with
// the tenant's key. They are marked sensitive (trunk and phone passwords), so plans never show
// them; the provisioner reloads only the Asterisk modules whose file changed.

import { join } from "node:path";
import { SensitiveFile } from "@cdktf/provider-local/lib/sensitive-file/index.js";
import { asteriskInputOf, generateTenantConfig, type TTenantConfigFiles } from "@dsai/asterisk";
import { openSecret } from "@dsai/contracts";
import { Construct } from "constructs";
import { literal } from "./literal.ts";
import { CORE_PORTS, type TTenantStackOptions, tenantObjectNames } from "./options.ts";

export function tenantAsteriskFiles(o: TTenantStackOptions): TTenantConfigFiles {
  const { desiredState, deployment } = o;
  const key = Buffer.from(deployment.secrets.secretKey, "base64");
  const input = asteriskInputOf(
    desiredState,
    {
      core: { host: tenantObjectNames(desiredState.slug).coreHost, httpPort: CORE_PORTS.http, audioSocketPort: CORE_PORTS.audioSocket },
      token: deployment.secrets.tenantToken,
    },
    (sealed) => openSecret(key, sealed),
  );
  return generateTenantConfig(input).files;
}

export class AsteriskFiles extends Construct {
  readonly files: TTenantConfigFiles;

  constructor(scope: Construct, id: string, o: TTenantStackOptions) {
    super(scope, id);
    this.files = tenantAsteriskFiles(o);
    const dir = join(o.deployment.asteriskConfDir, "tenants", o.desiredState.slug);
    for (const [name, content] of Object.entries(this.files)) {
      new SensitiveFile(this, name.replace(".conf", ""), {
        filename: join(dir, name),
        content: literal(content),
        filePermission: "0640",
        directoryPermission: "0750",
      });
    }
  }
}
