// Every name a tenant owns in the shared Asterisk, derived from its slug. Slugs and ids may
// contain only [a-z0-9-], and names join them with `_`, so no two tenants (and no two objects
// of one tenant) can ever produce the same name.

export type TTenantNames = ReturnType<typeof tenantNames>;

export function tenantNames(slug: string) {
  const base = `dsai_${slug}`;
  return {
    /** PJSIP `tenantid` of every endpoint, and the prefix of every name. */
    tenantId: base,
    /** ARI application for the tenant's channels (live calls, hang-up on delete). */
    stasisApp: base,
    /** Calls arriving on the tenant's trunks: its numbers. */
    inboundContext: `${base}_inbound`,
    /** Calls from the tenant's phones: numbers, extensions and the outside. */
    phonesContext: `${base}_phones`,
    /** Where a transfer named by the core goes: extensions and the tenant's trunk. */
    transferContext: `${base}_transfer`,
    /** The call path subroutine: open at the core, AudioSocket, transfer. */
    callContext: `${base}_call`,
    /** Refusal: a short message, then hang-up. */
    refuseContext: `${base}_refuse`,
    trunk: (id: string) => `${base}_trunk_${id}`,
    phone: (id: string) => `${base}_phone_${id}`,
    auth: (endpoint: string) => `${endpoint}_auth`,
    registration: (endpoint: string) => `${endpoint}_reg`,
    identify: (endpoint: string) => `${endpoint}_identify`,
    /** Recordings folder, relative to Asterisk's monitor directory. */
    recordingDir: `dsai/${slug}`,
  };
}

/**
 * Asterisk cuts config section names (endpoints, auths, contexts...) to 79 characters without a
 * word, so two names could collapse into one; the verifier rejects any longer name.
 */
export const MAX_SECTION_NAME = 79;

/** Shared static transports of the base configuration (asterisk/pjsip.conf). */
export const TRANSPORTS = { udp: "dsai-udp", tcp: "dsai-tcp", wss: "dsai-wss" } as const;
