// What the local platform stack is made from: image names, where the shared Asterisk's
// configuration lives on this machine, the shared networks, and the ports published on
// 127.0.0.1 (Traefik's HTTP, Asterisk's SIP and ARI).
import { ZHostSchema, ZImageSchema, ZPortSchema } from "@dsai/contracts";
import { z } from "zod";

const ZIpv4Schema = z
  .string()
  .regex(/^(?:(?:25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])$/, "an IPv4 address");
const ZDockerNameSchema = z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,62}$/, "a Docker object name");

export const ZPlatformStackOptionsSchema = z
  .strictObject({
    /** Prefix of every object's name (several platforms can share an engine, e.g. tests). */
    name: z.string().regex(/^[a-z][a-z0-9-]{1,30}$/, "lowercase letters, digits and '-'"),
    images: z.strictObject({ traefik: ZImageSchema, asterisk: ZImageSchema }),
    /** The shared Asterisk's configuration directory on this machine (mounted at /etc/asterisk). */
    asteriskConfDir: z.string().regex(/^\/[A-Za-z0-9._/-]+$/, "an absolute path"),
    /** The network the cores and the shared Asterisk share: a /24 and Asterisk's address in it. */
    asteriskNetwork: z.strictObject({ subnet: z.string().regex(/^[0-9.]+\/24$/, "a /24 subnet"), asteriskAddress: ZIpv4Schema }),
    ports: z.strictObject({ http: ZPortSchema, sip: ZPortSchema, ari: ZPortSchema }),
    /** Traefik's network as a fixed /24: its gateway (.1) is this machine, where host routes are served. */
    traefikNetwork: z.strictObject({ subnet: z.string().regex(/^[0-9.]+\.0\/24$/, "a /24 subnet") }).optional(),
    /**
     * Services of this machine Traefik routes to by host name — the console at app.<domain>, the
     * License Service at license.<domain> — reached on the Traefik network's gateway address.
     */
    hostRoutes: z
      .array(z.strictObject({ name: z.string().regex(/^[a-z][a-z0-9-]{0,30}$/), host: ZHostSchema, port: ZPortSchema }))
      .max(8)
      .default([]),
    /**
     * Traefik's only source of routes (its file provider, mounted read-only): this stack writes the
     * host routes there, each tenant stack its own route (the tenant deployment's edgeRoutesDir).
     */
    traefikConfDir: z.string().regex(/^\/[A-Za-z0-9._/-]+$/, "an absolute path"),
    ari: z.strictObject({
      user: z.string().regex(/^[a-z][a-z0-9_]{1,30}$/),
      password: z.string().regex(/^[A-Za-z0-9_-]{24,128}$/, "24-128 URL-safe characters"),
    }),
    /**
     * SIP media reached on this machine: Asterisk announces `address` (with the published SIP
     * port) in its SDP and Via/Contact, and publishes its RTP ports 1:1 on 127.0.0.1 — a SIP
     * phone or test caller on this machine then talks to the shared Asterisk in its container.
     */
    media: z
      .strictObject({
        address: ZIpv4Schema,
        rtpPorts: z.strictObject({ first: ZPortSchema, last: ZPortSchema }),
      })
      .refine((m) => m.rtpPorts.first % 2 === 0 && m.rtpPorts.last > m.rtpPorts.first && m.rtpPorts.last - m.rtpPorts.first < 200, {
        message: "an even first port and at most 200 ports (RTP on even ports, RTCP on the odd one after)",
        path: ["rtpPorts"],
      })
      .optional(),
    /**
     * Where call recordings are kept on this machine (Asterisk's monitor/dsai folder, one folder
     * per tenant), writable by Asterisk as a member of `group` (the folder's group).
     */
    recordings: z
      .strictObject({
        dir: z.string().regex(/^\/[A-Za-z0-9._/-]+$/, "an absolute path"),
        group: z
          .number()
          .int()
          .min(0)
          .max(2 ** 31),
      })
      .optional(),
  })
  .refine((o) => o.hostRoutes.length === 0 || o.traefikNetwork, {
    message: "host routes need traefikNetwork",
    path: ["hostRoutes"],
  });
export type TPlatformStackOptions = z.output<typeof ZPlatformStackOptionsSchema>;

/** The address of this machine on Traefik's network: the gateway of its /24. */
export const hostGatewayOf = (subnet: string) => subnet.replace(/\.0\/24$/, ".1");

export function platformObjectNames(name: string) {
  return {
    asteriskNetwork: `${name}-asterisk`,
    traefikNetwork: `${name}-traefik`,
    traefik: `${name}-traefik`,
    asterisk: `${name}-asterisk`,
  };
}

export { ZDockerNameSchema };
