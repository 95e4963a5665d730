"use client";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useParams } from "next/navigation";
import { Select } from "../../../../../components/console/checkbox-group.tsx";
import { formText } from "../../../../../components/console/form-values.ts";
import { Banner } from "../../../../../components/ui/banner.tsx";
import { Button } from "../../../../../components/ui/button.tsx";
import { Card, CardTitle } from "../../../../../components/ui/card.tsx";
import { Field } from "../../../../../components/ui/field.tsx";
import { Table, Td, Th } from "../../../../../components/ui/table.tsx";
import { errorText, fieldErrors, useRefetchAfterChange, useTRPC } from "../../../../../trpc/client.tsx";

const ROLES = ["owner", "admin", "member"] as const;

export default function MembersPage() {
  const { slug } = useParams<{ slug: string }>();
  const trpc = useTRPC();
  const tenant = useQuery(trpc.tenant.get.queryOptions({ tenant: slug }));
  const members = useQuery(trpc.member.list.queryOptions({ tenant: slug }));
  const refresh = useRefetchAfterChange(trpc.member.list.queryKey());
  const add = useMutation(trpc.member.add.mutationOptions({ onSuccess: refresh }));
  const setRole = useMutation(trpc.member.setRole.mutationOptions({ onSuccess: refresh }));
  const remove = useMutation(trpc.member.remove.mutationOptions({ onSuccess: refresh }));
  const isOwner = tenant.data?.role === "owner";
  const errors = fieldErrors(add.error);
  const failed = setRole.error ?? remove.error;

  return (
    <div className="space-y-6">
      {members.error && <Banner>{errorText(members.error)}</Banner>}
      {failed && <Banner>{errorText(failed)}</Banner>}
      <Card className="space-y-4">
        <CardTitle>Members</CardTitle>
        <Table data-testid="members">
          <thead>
            <tr>
              <Th>Email</Th>
              <Th>Name</Th>
              <Th>Role</Th>
              <Th />
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {members.data?.map((m) => (
              <tr key={m.userId}>
                <Td>{m.email}</Td>
                <Td>{m.name ?? "—"}</Td>
                <Td>
                  {isOwner ? (
                    <select
                      aria-label={`Role of ${m.email}`}
                      value={m.role}
                      onChange={(e) => setRole.mutate({ tenant: slug, userId: m.userId, role: e.target.value as (typeof ROLES)[number] })}
                      className="rounded-md px-2 py-1 ring-1 ring-slate-300"
                    >
                      {ROLES.map((r) => (
                        <option key={r}>{r}</option>
                      ))}
                    </select>
                  ) : (
                    m.role
                  )}
                </Td>
                <Td className="text-right">
                  {isOwner && (
                    <Button variant="ghost" onClick={() => remove.mutate({ tenant: slug, userId: m.userId })}>
                      Remove
                    </Button>
                  )}
                </Td>
              </tr>
            ))}
          </tbody>
        </Table>
      </Card>
      {isOwner && (
        <Card className="space-y-4">
          <CardTitle>Add a member</CardTitle>
          {add.error && Object.keys(errors).length === 0 && <Banner>{errorText(add.error)}</Banner>}
          <form
            className="flex flex-wrap items-end gap-4"
            action={(form) =>
              add.mutate({ tenant: slug, data: { email: formText(form, "email"), role: formText(form, "role") || "member" } })
            }
          >
            <Field label="Email of their account" name="email" type="email" required error={errors.email} className="min-w-72" />
            <Select label="Role" name="role" defaultValue="member" options={ROLES} />
            <Button type="submit" busy={add.isPending}>
              Add member
            </Button>
          </form>
        </Card>
      )}
    </div>
  );
}
