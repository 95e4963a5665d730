// Migrations are SQL files written in Prisma's format (Prisma's diffing engine cannot run
// offline); this check keeps them honest: the tables and columns (with nullability) that the
// applied migrations created must be exactly those schema.prisma declares, after @map/@@map.
import { readFileSync } from "node:fs";
import pg from "pg";

const SCALARS = new Set(["String", "Int", "BigInt", "Boolean", "DateTime", "Json", "Float", "Decimal", "Bytes"]);

export type TColumns = Record<string, Record<string, boolean>>;

/** table -> column -> nullable, as schema.prisma declares them (relation fields have no column). */
export function prismaSchemaColumns(schemaFile: string): TColumns {
  const text = readFileSync(schemaFile, "utf8");
  const enums = new Set([...text.matchAll(/^enum (\w+) \{/gm)].map((m) => m[1] as string));
  const tables: TColumns = {};
  // A model ends at the first line that is only "}" (braces inside attributes such as
  // @default("{}") do not end it).
  for (const m of text.matchAll(/^model (\w+) \{\n([\s\S]*?)^\}$/gm)) {
    const body = m[2] as string;
    const table = /@@map\("([^"]+)"\)/.exec(body)?.[1] ?? (m[1] as string);
    const columns: Record<string, boolean> = {};
    for (const line of body.split("\n")) {
      const f = /^\s+(\w+)\s+(\w+)(\?|\[\])?(.*)$/.exec(line);
      if (!f) continue;
      const [, name, type, modifier, rest] = f as unknown as [string, string, string, string | undefined, string];
      const scalar = SCALARS.has(type) || enums.has(type);
      // Lists of scalars are array columns; lists of models are relations.
      if (!scalar) continue;
      const column = /@map\("([^"]+)"\)/.exec(rest)?.[1] ?? name;
      columns[column] = modifier === "?" || modifier === "[]";
    }
    tables[table] = columns;
  }
  return tables;
}

/** table -> column -> nullable, as the database has them (public schema, without Prisma's history). */
export async function databaseColumns(url: string): Promise<TColumns> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ table_name: string; column_name: string; is_nullable: string }>(
      `SELECT table_name, column_name, is_nullable FROM information_schema.columns
       WHERE table_schema = 'public' AND table_name <> '_prisma_migrations'`,
    );
    const tables: TColumns = {};
    for (const r of rows) {
      tables[r.table_name] ??= {};
      (tables[r.table_name] as Record<string, boolean>)[r.column_name] = r.is_nullable === "YES";
    }
    return tables;
  } finally {
    await client.end();
  }
}

/** Sorted deep copy, so two TColumns compare with toEqual and print readably. */
export function sortColumns(t: TColumns): TColumns {
  return Object.fromEntries(
    Object.keys(t)
      .sort()
      .map((table) => [table, Object.fromEntries(Object.entries(t[table] ?? {}).sort(([a], [b]) => (a < b ? -1 : 1)))]),
  );
}
