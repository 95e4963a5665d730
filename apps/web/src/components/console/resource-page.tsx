"use client";
import { errorText, fieldErrors } from "../../trpc/client.tsx";
// The shape every dashboard page of a tenant's configuration shares: a table of what exists
// (with delete), a form to add one with each field's error next to it, and the "review changes"
// bar for what reaches the tenant's stack.
import { Banner } from "../ui/banner.tsx";
import { Button } from "../ui/button.tsx";
import { Card, CardTitle } from "../ui/card.tsx";
import { Table, Td, Th } from "../ui/table.tsx";

export function ResourcePage<T>(o: {
  title: string;
  testId: string;
  rows: T[] | undefined;
  loadError: unknown;
  columns: { header: string; cell: (row: T) => React.ReactNode }[];
  rowKey: (row: T) => string;
  onDelete?: (row: T) => void;
  deleteError?: unknown;
  empty: string;
  /** The add form; `error` shows in a banner unless it is about fields, shown next to them. */
  form: { title: string; error: unknown; children: React.ReactNode };
  /** Shortcuts under the list (e.g. adding a ready-made set). */
  actions?: React.ReactNode;
  footer?: React.ReactNode;
}) {
  return (
    <div className="space-y-6">
      {o.loadError ? <Banner>{errorText(o.loadError)}</Banner> : null}
      <Card className="space-y-4">
        <CardTitle>{o.title}</CardTitle>
        {o.rows?.length === 0 && <p className="text-sm text-slate-500">{o.empty}</p>}
        {o.rows && o.rows.length > 0 && (
          <Table data-testid={o.testId}>
            <thead>
              <tr>
                {o.columns.map((c) => (
                  <Th key={c.header}>{c.header}</Th>
                ))}
                {o.onDelete && <Th />}
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {o.rows.map((row) => (
                <tr key={o.rowKey(row)}>
                  {o.columns.map((c) => (
                    <Td key={c.header}>{c.cell(row)}</Td>
                  ))}
                  {o.onDelete && (
                    <Td className="text-right">
                      <Button variant="ghost" onClick={() => o.onDelete?.(row)}>
                        Delete
                      </Button>
                    </Td>
                  )}
                </tr>
              ))}
            </tbody>
          </Table>
        )}
        {o.deleteError ? <Banner>{errorText(o.deleteError)}</Banner> : null}
        {o.actions}
      </Card>
      <Card className="space-y-4">
        <CardTitle>{o.form.title}</CardTitle>
        {o.form.error && Object.keys(fieldErrors(o.form.error)).length === 0 ? <Banner>{errorText(o.form.error)}</Banner> : null}
        {o.form.children}
      </Card>
      {o.footer}
    </div>
  );
}
