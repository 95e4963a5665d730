"use client";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useParams } from "next/navigation";
import { useState } from "react";
import { ApplyChanges } from "../../../../../components/console/apply-changes.tsx";
import { Select } from "../../../../../components/console/checkbox-group.tsx";
import { optionalText } from "../../../../../components/console/form-values.ts";
import { Banner } from "../../../../../components/ui/banner.tsx";
import { Button } from "../../../../../components/ui/button.tsx";
import { Card, CardTitle } from "../../../../../components/ui/card.tsx";
import { Field } from "../../../../../components/ui/field.tsx";
import { Table, Td, Th } from "../../../../../components/ui/table.tsx";
import { errorText, fieldErrors, useRefetchAfterChange, useTRPC } from "../../../../../trpc/client.tsx";

/** The agent's profiles by name, in pipeline order ("ASR: …, LLM: …, TTS: …"). */
function providersOf(chosen: Partial<Record<string, string>>, all: { id: string; name: string }[] | undefined): string {
  return (["asr", "llm", "tts", "sts"] as const)
    .filter((kind) => chosen[kind])
    .map((kind) => `${kind.toUpperCase()}: ${all?.find((p) => p.id === chosen[kind])?.name ?? "…"}`)
    .join(", ");
}

export default function AgentsPage() {
  const { slug } = useParams<{ slug: string }>();
  const [mode, setMode] = useState<"pipeline" | "sts">("pipeline");
  const trpc = useTRPC();
  const agents = useQuery(trpc.agent.list.queryOptions({ tenant: slug }));
  const profiles = useQuery(trpc.providerProfile.list.queryOptions({ tenant: slug }));
  /** The profile kinds this mode uses: a pipeline listens, thinks and speaks; speech-to-speech does all three. */
  const kinds = mode === "pipeline" ? (["asr", "llm", "tts"] as const) : (["sts"] as const);
  const refresh = useRefetchAfterChange(trpc.agent.list.queryKey());
  const create = useMutation(trpc.agent.create.mutationOptions({ onSuccess: refresh }));
  const remove = useMutation(trpc.agent.delete.mutationOptions({ onSuccess: refresh }));
  const errors = fieldErrors(create.error);

  return (
    <div className="space-y-6">
      {agents.error && <Banner>{errorText(agents.error)}</Banner>}
      <Card className="space-y-4">
        <CardTitle>Agents</CardTitle>
        {agents.data?.length === 0 && <p className="text-sm text-slate-500">No agents yet: create one below, then give it a number.</p>}
        {agents.data && agents.data.length > 0 && (
          <Table data-testid="agents">
            <thead>
              <tr>
                <Th>Id</Th>
                <Th>Name</Th>
                <Th>Mode</Th>
                <Th>Providers</Th>
                <Th>Language</Th>
                <Th />
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {agents.data.map((a) => (
                <tr key={a.id}>
                  <Td className="font-mono">{a.id}</Td>
                  <Td>{a.name}</Td>
                  <Td>{a.mode}</Td>
                  <Td className="text-xs">{providersOf(a.profiles, profiles.data) || "none: it cannot take calls"}</Td>
                  <Td>{a.language}</Td>
                  <Td className="text-right">
                    <Button
                      variant="ghost"
                      busy={remove.isPending && remove.variables?.id === a.id}
                      onClick={() => remove.mutate({ tenant: slug, id: a.id })}
                    >
                      Delete
                    </Button>
                  </Td>
                </tr>
              ))}
            </tbody>
          </Table>
        )}
        {remove.error && <Banner>{errorText(remove.error)}</Banner>}
      </Card>

      <Card className="space-y-4">
        <CardTitle>New agent</CardTitle>
        {create.error && Object.keys(errors).length === 0 && <Banner>{errorText(create.error)}</Banner>}
        <form
          className="grid gap-4 md:grid-cols-2"
          action={(form) => {
            const text = (name: string) => optionalText(form, name);
            create.mutate({
              tenant: slug,
              data: {
                id: text("id"),
                name: text("name"),
                mode,
                greeting: text("greeting"),
                prompt: text("prompt"),
                language: text("language"),
                voice: text("voice"),
                // Only the kinds this mode uses; "none" leaves one unset.
                profiles: Object.fromEntries(kinds.flatMap((kind) => (text(`profile-${kind}`) ? [[kind, text(`profile-${kind}`)]] : []))),
              },
            });
          }}
        >
          <Field label="Id" name="id" required placeholder="support" error={errors.id} hint="Lowercase letters, digits and '-'." />
          <Field label="Name" name="name" required placeholder="Support line" error={errors.name} />
          <fieldset className="space-y-1.5">
            <legend className="text-sm font-medium text-slate-800">Mode</legend>
            <div className="flex gap-4 text-sm">
              {(["pipeline", "sts"] as const).map((m) => (
                <label key={m} className="flex items-center gap-2">
                  <input type="radio" name="mode" checked={mode === m} onChange={() => setMode(m)} />
                  {m === "pipeline" ? "Pipeline (ASR → LLM → TTS)" : "Speech-to-speech"}
                </label>
              ))}
            </div>
          </fieldset>
          {kinds.map((kind) => (
            <Select
              key={kind}
              label={`${kind.toUpperCase()} profile`}
              name={`profile-${kind}`}
              options={[
                { value: "", text: "none" },
                ...(profiles.data?.filter((p) => p.kind === kind).map((p) => ({ value: p.id, text: p.name })) ?? []),
              ]}
              error={errors[`profiles.${kind}`]}
            />
          ))}
          <Field label="Language" name="language" placeholder="en-US" error={errors.language} />
          <Field label="Voice" name="voice" placeholder="en-us" error={errors.voice} />
          <Field label="Greeting" name="greeting" placeholder="Hello, how can I help?" error={errors.greeting} />
          <div className="space-y-1.5 md:col-span-2">
            <label htmlFor="prompt" className="block text-sm font-medium text-slate-800">
              Prompt
            </label>
            <textarea
              id="prompt"
              name="prompt"
              rows={4}
              className="block w-full rounded-md border-0 px-3 py-2 text-sm shadow-sm ring-1 ring-inset ring-slate-300 focus:ring-2 focus:ring-brand-600"
            />
            {errors.prompt && <p className="text-sm text-red-600">{errors.prompt}</p>}
          </div>
          <div className="md:col-span-2">
            <Button type="submit" busy={create.isPending}>
              Create agent
            </Button>
          </div>
        </form>
      </Card>
      <ApplyChanges slug={slug} />
    </div>
  );
}
