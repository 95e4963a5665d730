// The address guard (@dsai/contracts) on a connection the core opens to a tenant-given URL: a
// URL-type provider's HTTP requests and WebSocket. (Webhooks check before they connect:
// webhooks.ts.) Connections reach public addresses only, and only the addresses checked.
import { isIP, type LookupFunction } from "node:net";
import { checkHostIsPublic, classifyAddress, type TResolve } from "@dsai/contracts";

export type TAddressGuard = {
  /**
   * Why `url` may not be reached when its host is an IP literal, checked before the request:
   * Node connects to a literal without calling `lookup`. Undefined when it may (or is a name).
   */
  refusal(url: URL): string | undefined;
  /**
   * For the connection's `lookup` (net, http, https, ws): resolves the name, refuses it unless
   * every address is public, and answers only the addresses it checked, so the connection goes
   * where the check looked — a name re-pointed meanwhile (DNS rebinding) cannot lead it inside —
   * and TLS still verifies the name. It replaces the lookup Node would make for a new connection
   * anyway, so it costs one resolution per new connection, as before; a connection a keep-alive
   * pool reuses was checked when it was opened and is not checked again.
   */
  lookup: LookupFunction;
};

export function createAddressGuard(resolve: TResolve): TAddressGuard {
  return {
    refusal(url) {
      const host = url.hostname;
      const bare = host.startsWith("[") ? host.slice(1, -1) : host;
      if (isIP(bare) === 0) return undefined;
      const kind = classifyAddress(bare);
      return kind === "public" ? undefined : `refused: ${host} is an internal address (${kind})`;
    },
    lookup(hostname, options, callback) {
      checkHostIsPublic(hostname, resolve).then(
        (checked) => {
          if (!checked.ok) return callback(refused(`refused: ${checked.reason}`, "EACCES"), "");
          const family = options.family === 4 || options.family === "IPv4" ? 4 : options.family === 6 || options.family === "IPv6" ? 6 : 0;
          const addresses = family === 0 ? checked.addresses : checked.addresses.filter((a) => a.family === family);
          const first = addresses[0];
          if (!first) return callback(refused(`${hostname} has no IPv${family} address`, "ENOTFOUND"), "");
          if (options.all) callback(null, addresses);
          else callback(null, first.address, first.family);
        },
        (err: Error) => callback(err, ""),
      );
    },
  };
}

function refused(message: string, code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code });
}
