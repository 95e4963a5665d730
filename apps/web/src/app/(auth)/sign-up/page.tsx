"use client";
import { useMutation } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { signIn } from "next-auth/react";
import { useState } from "react";
import { Banner } from "../../../components/ui/banner.tsx";
import { Button } from "../../../components/ui/button.tsx";
import { Card } from "../../../components/ui/card.tsx";
import { Field } from "../../../components/ui/field.tsx";
import { errorText, fieldErrors, useTRPC } from "../../../trpc/client.tsx";

export default function SignUpPage() {
  const router = useRouter();
  const trpc = useTRPC();
  const signUp = useMutation(trpc.auth.signUp.mutationOptions());
  const [signingIn, setSigningIn] = useState(false);
  const errors = fieldErrors(signUp.error);

  async function submit(form: FormData) {
    const input = {
      email: String(form.get("email")),
      password: String(form.get("password")),
      name: String(form.get("name") || "") || undefined,
    };
    try {
      await signUp.mutateAsync(input);
    } catch {
      return; // the errors are shown next to their fields
    }
    setSigningIn(true);
    const result = await signIn("credentials", { email: input.email, password: input.password, redirect: false });
    setSigningIn(false);
    if (!result?.error) router.push("/tenants");
  }

  return (
    <Card>
      <h1 className="mb-6 text-xl font-semibold">Create your account</h1>
      <form action={submit} className="space-y-4">
        {signUp.error && Object.keys(errors).length === 0 && <Banner>{errorText(signUp.error)}</Banner>}
        <Field label="Name" name="name" autoComplete="name" error={errors.name} />
        <Field label="Email" name="email" type="email" autoComplete="email" required error={errors.email} />
        <Field
          label="Password"
          name="password"
          type="password"
          autoComplete="new-password"
          required
          minLength={10}
          error={errors.password}
          hint="At least 10 characters."
        />
        <Button type="submit" busy={signUp.isPending || signingIn} className="w-full">
          Sign up
        </Button>
      </form>
      <p className="mt-6 text-center text-sm text-slate-500">
        Have an account?{" "}
        <Link href="/sign-in" className="font-semibold text-brand-600 hover:text-brand-700">
          Sign in
        </Link>
      </p>
    </Card>
  );
}
