// An OpenID Connect provider for the console's single sign-on test: oidc-provider (a certified
// implementation, not a mock) on 127.0.0.1, with its development login and consent pages, one
// client (the console) and accounts whose email is <login>@sso.example.test.
import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import Provider from "oidc-provider";

export type TOidcPeer = { issuer: string; clientId: string; clientSecret: string; close(): Promise<void> };

export async function startOidcPeer(o: { port: number; redirectUri: string }): Promise<TOidcPeer> {
  const issuer = `http://127.0.0.1:${o.port}`;
  const client = { clientId: "dsai-console", clientSecret: randomBytes(24).toString("hex") };
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: client.clientId,
        client_secret: client.clientSecret,
        redirect_uris: [o.redirectUri],
        grant_types: ["authorization_code"],
        response_types: ["code"],
      },
    ],
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
    findAccount: async (_ctx, id) => ({
      accountId: id,
      claims: async () => ({ sub: id, email: `${id}@sso.example.test`, email_verified: true, name: id }),
    }),
    features: { devInteractions: { enabled: true } },
    // Put the scopes' claims (email) in the ID token too, as common providers do; Auth.js reads the ID token.
    conformIdTokenClaims: false,
    cookies: { keys: [randomBytes(16).toString("hex")] },
  });
  const server: Server = createServer(provider.callback());
  await new Promise<void>((resolve) => server.listen(o.port, "127.0.0.1", resolve));
  return { issuer, ...client, close: () => new Promise<void>((r) => server.close(() => r())) };
}
