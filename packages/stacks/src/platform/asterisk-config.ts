// The shared Asterisk's base configuration, written by the platform stack into its configuration
// directory: the repository's asterisk/conf files as they are, except the HTTP server's and
// AMI's bind address (Asterisk's address on the platform's network) and, when media is published
// on this machine, the UDP transport's external address and the RTP port range; plus the ARI user
// (a sensitive file) and the tenants/ folder the tenant stacks write into.
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

  constructor(
    scope: Construct,
    id: string,
    o: {
      dir: string;
      bindAddress: string;
      ari: { user: string; password: string };
      media?: { address: string; sipPort: number; rtpPorts: { first: number; last: number } };
    },
  ) {
    super(scope, id);
    const file = (id: string, filename: string, content: string, sensitive = false) => {
      // Readable by the container's asterisk user through group 0 (root's group), not by others.
      const options = { filename: join(o.dir, filename), content: literal(content), filePermission: "0640", directoryPermission: "0750" };
      this.resources.push(sensitive ? new SensitiveFile(this, id, options) : new File(this, id, options));
    };
    for (const name of readdirSync(BASE_CONF_DIR).sort()) {
      let content = readFileSync(join(BASE_CONF_DIR, name), "utf8");
      if (name === "http.conf" || name === "manager.conf") content = content.replace(/^bindaddr = \S+$/m, `bindaddr = ${o.bindAddress}`);
      if (o.media) content = withPublishedMedia(name, content, o.media);
      file(name.replace(/\W/g, "_"), name, content);
    }
    file("ari_users", "ari_users.conf", `[${o.ari.user}]\ntype = user\nread_only = no\npassword = ${o.ari.password}\n`, true);
    file("tenants_readme", join("tenants", "README"), "One folder per tenant, written by its stack.\n");
  }
}

/**
 * Media published on this machine's `address`: with no local_net, every peer is outside, so
 * Asterisk names the published address and SIP port in its SDP, Via and Contact; RTP uses only
 * the ports the container publishes (1:1). The trunk endpoints' symmetric RTP and rport answer
 * a caller where its packets came from (Docker's proxy), not where its SDP says.
 */
function withPublishedMedia(
  name: string,
  content: string,
  m: { address: string; sipPort: number; rtpPorts: { first: number; last: number } },
) {
  const replaced = (from: RegExp, to: string) => {
    const next = content.replace(from, to);
    if (next === content) throw new Error(`asterisk/conf/${name}: expected ${String(from)} in the base configuration`);
    return next;
  };
  if (name === "rtp.conf")
    return replaced(/^rtpstart = \d+\nrtpend = \d+$/m, `rtpstart = ${m.rtpPorts.first}\nrtpend = ${m.rtpPorts.last}`);
  if (name === "pjsip.conf")
    return replaced(
      /^(\[dsai-udp\]\n(?:.+\n)*?bind = .+)$/m,
      `$1\nexternal_media_address = ${m.address}\nexternal_signaling_address = ${m.address}\nexternal_signaling_port = ${m.sipPort}`,
    );
  return content;
}
