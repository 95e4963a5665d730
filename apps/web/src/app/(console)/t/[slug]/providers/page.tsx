"use client";
import { PROVIDER_KINDS } from "@dsai/contracts/fields";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useParams } from "next/navigation";
import { useState } from "react";
import { ApplyChanges } from "../../../../../components/console/apply-changes.tsx";
import { Select } from "../../../../../components/console/checkbox-group.tsx";
import { formText } from "../../../../../components/console/form-values.ts";
import { ResourcePage } from "../../../../../components/console/resource-page.tsx";
import { Banner } from "../../../../../components/ui/banner.tsx";
import { Button } from "../../../../../components/ui/button.tsx";
import { Field } from "../../../../../components/ui/field.tsx";
import { errorText, fieldErrors, useRefetchAfterChange, useTRPC } from "../../../../../trpc/client.tsx";

/** "KEY=value" lines as an object (the provider container's environment). */
function envOf(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split("\n")
      .map((l) => l.trim())
      .filter(Boolean)
      .map((l) => [l.slice(0, l.indexOf("=") < 0 ? l.length : l.indexOf("=")), l.includes("=") ? l.slice(l.indexOf("=") + 1) : ""]),
  );
}

type TRuntime = { type: "image"; image: string; port: number; args: string[] } | { type: "url"; url: string };

export default function ProvidersPage() {
  const { slug } = useParams<{ slug: string }>();
  const trpc = useTRPC();
  const profiles = useQuery(trpc.providerProfile.list.queryOptions({ tenant: slug }));
  const refresh = useRefetchAfterChange(trpc.providerProfile.list.queryKey());
  const create = useMutation(trpc.providerProfile.create.mutationOptions({ onSuccess: refresh }));
  const remove = useMutation(trpc.providerProfile.delete.mutationOptions({ onSuccess: refresh }));
  const addOffline = useMutation(trpc.providerProfile.addOffline.mutationOptions({ onSuccess: refresh }));
  const [runtime, setRuntime] = useState<"image" | "url">("image");
  const errors = fieldErrors(create.error);
  const err = (path: string) => errors[path] ?? errors[`runtime.${path}`];
  return (
    <ResourcePage
      title="Provider profiles"
      testId="providers"
      rows={profiles.data}
      loadError={profiles.error}
      rowKey={(p) => p.id}
      columns={[
        { header: "Name", cell: (p) => p.name },
        { header: "Kind", cell: (p) => p.kind },
        {
          header: "Runs as",
          cell: (p) => {
            const r = p.runtime as TRuntime;
            return <span className="font-mono text-xs">{r.type === "image" ? `${r.image} ${r.args.join(" ")} :${r.port}` : r.url}</span>;
          },
        },
        { header: "Secret", cell: (p) => (p.hasSecret ? "sealed" : "—") },
      ]}
      onDelete={(p) => remove.mutate({ tenant: slug, id: p.id })}
      deleteError={remove.error}
      empty="No provider profiles yet: ASR, LLM, TTS (or speech-to-speech) services an agent uses."
      actions={
        <div className="flex flex-wrap items-center gap-3 border-t border-slate-100 pt-4 text-sm text-slate-600">
          <Button variant="secondary" busy={addOffline.isPending} onClick={() => addOffline.mutate({ tenant: slug })}>
            Add offline providers
          </Button>
          <span>ASR, a scripted LLM and TTS that run beside your core with no external service: try a call first.</span>
          {addOffline.error ? <Banner>{errorText(addOffline.error)}</Banner> : null}
        </div>
      }
      form={{
        title: "New provider profile",
        error: create.error,
        children: (
          <form
            className="grid gap-4 md:grid-cols-2"
            action={(form) => {
              const text = (name: string) => formText(form, name);
              create.mutate({
                tenant: slug,
                data: {
                  name: text("name"),
                  kind: text("kind"),
                  runtime:
                    runtime === "image"
                      ? {
                          type: "image",
                          image: text("image"),
                          port: Number(text("port") || 8080),
                          args: text("args").split(/\s+/).filter(Boolean),
                          env: envOf(text("env")),
                        }
                      : { type: "url", url: text("url") },
                  ...(text("secret") && { secret: text("secret") }),
                },
              });
            }}
          >
            <Field label="Name" name="name" required placeholder="PocketSphinx" error={errors.name} />
            <Select label="Kind" name="kind" options={PROVIDER_KINDS} />
            <fieldset className="space-y-1.5 md:col-span-2">
              <legend className="text-sm font-medium text-slate-800">Runs as</legend>
              <div className="flex gap-4 text-sm">
                <label className="flex items-center gap-2">
                  <input type="radio" checked={runtime === "image"} onChange={() => setRuntime("image")} /> a container on the tenant's
                  network
                </label>
                <label className="flex items-center gap-2">
                  <input type="radio" checked={runtime === "url"} onChange={() => setRuntime("url")} /> an external service
                </label>
              </div>
            </fieldset>
            {runtime === "image" ? (
              <>
                <Field label="Image" name="image" required placeholder="dsai/providers:…" error={err("image")} />
                <Field label="Port" name="port" type="number" defaultValue={8080} error={err("port")} />
                <Field label="Arguments" name="args" placeholder="asr" error={err("args")} />
                <div className="space-y-1.5">
                  <label htmlFor="env" className="block text-sm font-medium text-slate-800">
                    Environment (KEY=value per line)
                  </label>
                  <textarea
                    id="env"
                    name="env"
                    rows={3}
                    className="block w-full rounded-md px-3 py-2 font-mono text-xs ring-1 ring-inset ring-slate-300"
                  />
                  {err("env") && <p className="text-sm text-red-600">{err("env")}</p>}
                </div>
              </>
            ) : (
              <Field label="URL" name="url" required placeholder="https://asr.example.com" error={err("url")} className="md:col-span-2" />
            )}
            <Field label="API secret (sealed at rest)" name="secret" type="password" autoComplete="off" error={errors.secret} />
            <div className="md:col-span-2">
              <Button type="submit" busy={create.isPending}>
                Add profile
              </Button>
            </div>
          </form>
        ),
      }}
      footer={<ApplyChanges slug={slug} />}
    />
  );
}
