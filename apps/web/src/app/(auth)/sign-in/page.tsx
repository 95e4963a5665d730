import { SignInForm } from "../../../components/auth/sign-in-form.tsx";

// Read at request time: whether single sign-on is offered depends on the running configuration.
export const dynamic = "force-dynamic";

export default function SignInPage() {
  const sso =
    process.env.AUTH_OIDC_ISSUER && process.env.AUTH_OIDC_CLIENT_ID ? { name: process.env.AUTH_OIDC_NAME ?? "single sign-on" } : undefined;
  return <SignInForm {...(sso && { sso })} />;
}
