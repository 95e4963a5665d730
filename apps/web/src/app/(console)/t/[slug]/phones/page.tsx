"use client";
import { CODECS } from "@dsai/contracts/fields";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useParams } from "next/navigation";
import { ApplyChanges } from "../../../../../components/console/apply-changes.tsx";
import { CheckboxGroup } from "../../../../../components/console/checkbox-group.tsx";
import { formText } from "../../../../../components/console/form-values.ts";
import { ResourcePage } from "../../../../../components/console/resource-page.tsx";
import { Button } from "../../../../../components/ui/button.tsx";
import { Field } from "../../../../../components/ui/field.tsx";
import { fieldErrors, useRefetchAfterChange, useTRPC } from "../../../../../trpc/client.tsx";

export default function PhonesPage() {
  const { slug } = useParams<{ slug: string }>();
  const trpc = useTRPC();
  const phones = useQuery(trpc.phone.list.queryOptions({ tenant: slug }));
  const refresh = useRefetchAfterChange(trpc.phone.list.queryKey());
  const create = useMutation(trpc.phone.create.mutationOptions({ onSuccess: refresh }));
  const remove = useMutation(trpc.phone.delete.mutationOptions({ onSuccess: refresh }));
  const errors = fieldErrors(create.error);
  return (
    <ResourcePage
      title="Phones"
      testId="phones"
      rows={phones.data}
      loadError={phones.error}
      rowKey={(p) => p.id}
      columns={[
        { header: "Id", cell: (p) => <span className="font-mono">{p.id}</span> },
        { header: "Extension", cell: (p) => <span className="font-mono">{p.extension}</span> },
        { header: "Codecs", cell: (p) => p.codecs.join(", ") },
      ]}
      onDelete={(p) => remove.mutate({ tenant: slug, id: p.id })}
      deleteError={remove.error}
      empty="No phones yet: a phone (WebRTC or SIP) registers with its extension and calls the tenant's numbers."
      form={{
        title: "New phone",
        error: create.error,
        children: (
          <form
            className="grid gap-4 md:grid-cols-3"
            action={(form) =>
              create.mutate({
                tenant: slug,
                data: {
                  id: formText(form, "id"),
                  extension: formText(form, "extension"),
                  password: String(form.get("password") ?? ""),
                  codecs: form.getAll("codecs").map(String),
                },
              })
            }
          >
            <Field label="Id" name="id" required placeholder="alice" error={errors.id} />
            <Field label="Extension" name="extension" required placeholder="200" error={errors.extension} />
            <Field label="Password" name="password" type="password" required autoComplete="new-password" error={errors.password} />
            <CheckboxGroup legend="Codecs" name="codecs" options={CODECS} checked={["opus", "ulaw"]} />
            <div className="md:col-span-3">
              <Button type="submit" busy={create.isPending}>
                Add phone
              </Button>
            </div>
          </form>
        ),
      }}
      footer={<ApplyChanges slug={slug} />}
    />
  );
}
