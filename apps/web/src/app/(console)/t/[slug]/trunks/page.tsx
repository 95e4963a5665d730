"use client";
import { CODECS, TRUNK_TRANSPORTS } from "@dsai/contracts/fields";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useParams } from "next/navigation";
import { ApplyChanges } from "../../../../../components/console/apply-changes.tsx";
import { CheckboxGroup, Select } from "../../../../../components/console/checkbox-group.tsx";
import { optionalText } from "../../../../../components/console/form-values.ts";
import { ResourcePage } from "../../../../../components/console/resource-page.tsx";
import { Button } from "../../../../../components/ui/button.tsx";
import { Field } from "../../../../../components/ui/field.tsx";
import { fieldErrors, useRefetchAfterChange, useTRPC } from "../../../../../trpc/client.tsx";

export default function TrunksPage() {
  const { slug } = useParams<{ slug: string }>();
  const trpc = useTRPC();
  const trunks = useQuery(trpc.trunk.list.queryOptions({ tenant: slug }));
  const refresh = useRefetchAfterChange(trpc.trunk.list.queryKey());
  const create = useMutation(trpc.trunk.create.mutationOptions({ onSuccess: refresh }));
  const remove = useMutation(trpc.trunk.delete.mutationOptions({ onSuccess: refresh }));
  const errors = fieldErrors(create.error);
  return (
    <ResourcePage
      title="SIP trunks"
      testId="trunks"
      rows={trunks.data}
      loadError={trunks.error}
      rowKey={(t) => t.id}
      columns={[
        { header: "Id", cell: (t) => <span className="font-mono">{t.id}</span> },
        { header: "Mode", cell: (t) => t.mode },
        { header: "Host", cell: (t) => `${t.host}:${t.port}/${t.transport}` },
        { header: "Codecs", cell: (t) => t.codecs.join(", ") },
      ]}
      onDelete={(t) => remove.mutate({ tenant: slug, id: t.id })}
      deleteError={remove.error}
      empty="No trunks: numbers are reached from the tenant's phones, or add a carrier's trunk here."
      form={{
        title: "New trunk",
        error: create.error,
        children: (
          <form
            className="grid gap-4 md:grid-cols-3"
            action={(form) =>
              create.mutate({
                tenant: slug,
                data: {
                  id: optionalText(form, "id"),
                  mode: optionalText(form, "mode"),
                  host: optionalText(form, "host"),
                  port: Number(optionalText(form, "port") ?? 5060),
                  transport: optionalText(form, "transport"),
                  username: optionalText(form, "username"),
                  password: optionalText(form, "password"),
                  match: (optionalText(form, "match") ?? "")
                    .split(",")
                    .map((m) => m.trim())
                    .filter(Boolean),
                  codecs: form.getAll("codecs").map(String),
                },
              })
            }
          >
            <Field label="Id" name="id" required placeholder="carrier" error={errors.id} />
            <Select label="Mode" name="mode" options={["registration", "ip"]} />
            <Field label="Host" name="host" required placeholder="sip.example.net" error={errors.host} />
            <Field label="Port" name="port" type="number" defaultValue={5060} error={errors.port} />
            <Select label="Transport" name="transport" options={TRUNK_TRANSPORTS} />
            <Field label="Username" name="username" error={errors.username} />
            <Field label="Password" name="password" type="password" autoComplete="new-password" error={errors.password} />
            <Field
              label="Networks calls come from (ip mode)"
              name="match"
              placeholder="203.0.113.0/24, 198.51.100.7/32"
              error={errors.match}
            />
            <CheckboxGroup legend="Codecs" name="codecs" options={CODECS} checked={["ulaw", "alaw"]} />
            <div className="md:col-span-3">
              <Button type="submit" busy={create.isPending}>
                Add trunk
              </Button>
            </div>
          </form>
        ),
      }}
      footer={<ApplyChanges slug={slug} />}
    />
  );
}
