// Auth.js: email + password (Credentials, checked by authenticate(): argon2id, rate-limited per
// account and per address) and, when configured, one OIDC provider for single sign-on. Sessions
// are signed JWT cookies (8 h); every request re-reads the user from the database, so a deleted
// user's session stops working at once. Auth.js's own routes carry its CSRF token.
import NextAuth, { CredentialsSignin } from "next-auth";
import type { Provider } from "next-auth/providers";
import Credentials from "next-auth/providers/credentials";
import { authenticate } from "./server/auth/accounts.ts";
import { createThrottle } from "./server/auth/throttle.ts";
import { services } from "./server/services.ts";

class LockedSignIn extends CredentialsSignin {
  override code = "locked";
}

/** The client's address as the proxy in front (Traefik) reports it, else none (the throttle then counts per account only). */
export function clientAddress(headers: Headers): string | undefined {
  const forwarded = headers.get("x-forwarded-for")?.split(",")[0]?.trim();
  return forwarded || headers.get("x-real-ip") || undefined;
}

const providers: Provider[] = [
  Credentials({
    credentials: { email: { label: "Email", type: "email" }, password: { label: "Password", type: "password" } },
    async authorize(credentials, request) {
      const { db } = await services();
      // Auth.js adds its own fields (csrfToken, callbackUrl): only these two are ours.
      const input = { email: credentials.email, password: credentials.password };
      const result = await authenticate(db, createThrottle(db), input, clientAddress(request.headers));
      if (result.ok) return { id: result.user.id, email: result.user.email, name: result.user.name };
      if (result.reason === "locked") throw new LockedSignIn();
      return null;
    },
  }),
];

// Single sign-on: an OIDC provider named in the environment (issuer, client id and secret).
const oidc = process.env.AUTH_OIDC_ISSUER;
if (oidc && process.env.AUTH_OIDC_CLIENT_ID && process.env.AUTH_OIDC_CLIENT_SECRET) {
  providers.push({
    id: "oidc",
    name: process.env.AUTH_OIDC_NAME ?? "Single sign-on",
    type: "oidc",
    issuer: oidc,
    clientId: process.env.AUTH_OIDC_CLIENT_ID,
    clientSecret: process.env.AUTH_OIDC_CLIENT_SECRET,
  });
}

export const { handlers, auth, signIn, signOut } = NextAuth({
  trustHost: true,
  session: { strategy: "jwt", maxAge: 8 * 3600 },
  pages: { signIn: "/sign-in" },
  providers,
  logger: {
    // A wrong password is an answer, not an error: no stack trace in the log for it.
    error(error) {
      if (error.name === "CredentialsSignin" || error.name === "LockedSignIn") return;
      console.error(`[auth] ${error.name}: ${error.message}`);
    },
  },
  callbacks: {
    async jwt({ token, user, account, profile }) {
      if (account?.provider === "oidc") {
        // An SSO user becomes (or is) a platform user with the same email; no password is set.
        const email = String(profile?.email ?? "").toLowerCase();
        if (!email) return null;
        const { db } = await services();
        const row = await db.user.upsert({ where: { email }, update: {}, create: { email, name: profile?.name ?? null } });
        token.uid = row.id;
      } else if (user?.id) token.uid = user.id;
      return token;
    },
    session({ session, token }) {
      if (typeof token.uid === "string") session.user.id = token.uid;
      return session;
    },
  },
});
