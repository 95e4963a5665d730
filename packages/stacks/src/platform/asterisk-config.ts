// The shared Asterisk's base configuration, written by the platform stack into its configuration
// directory: the repository's asterisk/conf files as they are, except the HTTP server's and
// AMI's bind address (Asterisk's address on the platform's network), plus the ARI user (a
// sensitive file) and the tenants/ folder the tenant stacks write into.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { File } from "@cdktf/provider-local/lib/file/index.js";
import { SensitiveFile } from "@cdktf/provider-local/lib/sensitive-file/index.js";
import { Construct } from "constructs";
import { literal } from "../tenant/literal.ts";

export const BASE_CONF_DIR = join(import.meta.dirname, "..", "..", "..", "..", "asterisk", "conf");

export class PlatformAsteriskConfig extends Construct {
  /** Every file written: the Asterisk container depends on them. */
  readonly resources: (File | SensitiveFile)[] = [];

  constructor(scope: Construct, id: string, o: { dir: string; bindAddress: string; ari: { user: string; password: string } }) {
    super(scope, id);
    const file = (id: string, filename: string, content: string, sensitive = false) => {
      // Readable by the container's asterisk user through group 0 (root's group), not by others.
      const options = { filename: join(o.dir, filename), content: literal(content), filePermission: "0640", directoryPermission: "0750" };
      this.resources.push(sensitive ? new SensitiveFile(this, id, options) : new File(this, id, options));
    };
    for (const name of readdirSync(BASE_CONF_DIR).sort()) {
      let content = readFileSync(join(BASE_CONF_DIR, name), "utf8");
      if (name === "http.conf" || name === "manager.conf") content = content.replace(/^bindaddr = \S+$/m, `bindaddr = ${o.bindAddress}`);
      file(name.replace(/\W/g, "_"), name, content);
    }
    file("ari_users", "ari_users.conf", `[${o.ari.user}]\ntype = user\nread_only = no\npassword = ${o.ari.password}\n`, true);
    file("tenants_readme", join("tenants", "README"), "One folder per tenant, written by its stack.\n");
  }
}
