"use client";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { signIn } from "next-auth/react";
import { useState } from "react";
import { Banner } from "../ui/banner.tsx";
import { Button } from "../ui/button.tsx";
import { Card } from "../ui/card.tsx";
import { Field } from "../ui/field.tsx";

const MESSAGES: Record<string, string> = {
  locked: "Too many failed sign-ins. Wait 15 minutes, then try again.",
  credentials: "That email and password do not match an account.",
};

/** Email and password, and — when an OIDC provider is configured — single sign-on. */
export function SignInForm({ sso }: { sso?: { name: string } }) {
  const router = useRouter();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  async function submit(form: FormData) {
    setBusy(true);
    setError(undefined);
    try {
      const result = await signIn("credentials", { email: form.get("email"), password: form.get("password"), redirect: false });
      if (result?.error) setError(MESSAGES[result.code ?? ""] ?? MESSAGES.credentials);
      else router.push("/tenants");
    } catch {
      setError("The console could not be reached. Try again in a moment.");
    } finally {
      setBusy(false);
    }
  }

  return (
    <Card>
      <h1 className="mb-6 text-xl font-semibold">Sign in</h1>
      <form action={submit} className="space-y-4">
        {error && <Banner>{error}</Banner>}
        <Field label="Email" name="email" type="email" autoComplete="email" required />
        <Field label="Password" name="password" type="password" autoComplete="current-password" required />
        <Button type="submit" busy={busy} className="w-full">
          Sign in
        </Button>
      </form>
      {sso && (
        <div className="mt-4 space-y-4">
          <p className="text-center text-xs uppercase tracking-wide text-slate-400">or</p>
          <Button type="button" variant="secondary" className="w-full" onClick={() => void signIn("oidc", { redirectTo: "/tenants" })}>
            Sign in with {sso.name}
          </Button>
        </div>
      )}
      <p className="mt-6 text-center text-sm text-slate-500">
        No account?{" "}
        <Link href="/sign-up" className="font-semibold text-brand-600 hover:text-brand-700">
          Sign up
        </Link>
      </p>
    </Card>
  );
}
