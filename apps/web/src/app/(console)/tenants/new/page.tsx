"use client";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useEffect, useState } from "react";
import { Select } from "../../../../components/console/checkbox-group.tsx";
import { Banner } from "../../../../components/ui/banner.tsx";
import { Button } from "../../../../components/ui/button.tsx";
import { Card } from "../../../../components/ui/card.tsx";
import { Field } from "../../../../components/ui/field.tsx";
import { errorText, fieldErrors, useTRPC } from "../../../../trpc/client.tsx";

/** The value after the user paused typing for `ms`: the live slug check asks once per pause. */
function useSettled<T>(value: T, ms = 300): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}

export default function NewTenantPage() {
  const trpc = useTRPC();
  const router = useRouter();
  const [slug, setSlug] = useState("");
  const settled = useSettled(slug);
  const check = useQuery({ ...trpc.tenant.checkSlug.queryOptions({ slug: settled }), enabled: settled.length > 0 });
  const targets = useQuery(trpc.tenant.targets.queryOptions());
  const create = useMutation(trpc.tenant.create.mutationOptions({ onSuccess: (t) => router.push(`/t/${t.slug}`) }));
  const errors = fieldErrors(create.error);
  const slugNote =
    settled !== slug || !check.data || check.data.slug !== slug
      ? undefined
      : check.data.available
        ? { hint: `Available: your tenant will be at ${check.data.host}` }
        : { error: check.data.reason };

  return (
    <Card className="mx-auto max-w-lg">
      <h1 className="mb-6 text-xl font-semibold">New tenant</h1>
      <form
        action={(form) =>
          create.mutate({ slug, name: String(form.get("name")), ...(form.get("target") && { target: String(form.get("target")) }) })
        }
        className="space-y-4"
      >
        {create.error && Object.keys(errors).length === 0 && <Banner>{errorText(create.error)}</Banner>}
        <Field label="Name" name="name" required maxLength={100} error={errors.name} placeholder="Acme Support" />
        <Field
          label="Slug"
          name="slug"
          required
          value={slug}
          onChange={(e) => setSlug(e.target.value.trim())}
          error={errors.slug ?? slugNote?.error}
          hint={slugNote?.hint ?? "Lowercase letters, digits and '-'; it names your tenant's address."}
          placeholder="acme"
          autoComplete="off"
        />
        {targets.data && targets.data.length > 1 && (
          <>
            <Select label="Runs on" name="target" options={targets.data} defaultValue="docker" />
            {errors.target && <p className="text-sm text-red-600">{errors.target}</p>}
          </>
        )}
        <Button type="submit" busy={create.isPending} disabled={check.data?.available === false && check.data.slug === slug}>
          Create and provision
        </Button>
      </form>
    </Card>
  );
}
