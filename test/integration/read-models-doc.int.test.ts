import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { useEventStoreDatabase } from '../support/database.js';

/*
 * docs/read-models.md is the analysts' map of schema `read`: one `### read.{table}` heading per table
 * or view, then a table of `| column | type | meaning |`. It stays true to the live schema after every
 * migration: every column documented with its type, nothing documented that is gone.
 */

const DOC = new URL('../../docs/read-models.md', import.meta.url);

type Columns = Map<string, string>;

/** table → column → type, as the document says. */
function documentedColumns(markdown: string): Map<string, Columns> {
  const tables = new Map<string, Columns>();
  let current: Columns | undefined;
  for (const line of markdown.split('\n')) {
    const heading = /^###\s+`?read\.([a-z_]+)`?\s*$/.exec(line);
    if (heading?.[1]) {
      current = new Map();
      tables.set(heading[1], current);
      continue;
    }
    if (/^#{1,3}\s/.test(line)) current = undefined;
    const row = /^\|\s*`([a-z_0-9]+)`\s*\|\s*`([^`]+)`\s*\|/.exec(line);
    if (current && row?.[1] && row[2]) current.set(row[1], row[2]);
  }
  return tables;
}

/** The PostgreSQL type as written in the document (`timestamptz` for `timestamp with time zone`). */
const shortType = (type: string) => type.replace('timestamp with time zone', 'timestamptz').replace('character varying', 'varchar');

describe('docs/read-models.md', () => {
  const database = useEventStoreDatabase('readdoc');

  it('documents every table and column of schema read, with its type, and nothing that is gone', async () => {
    const { rows } = await database.db.raw<{ rows: { table: string; column: string; type: string }[] }>(`
      SELECT c.relname AS table, a.attname AS column, format_type(a.atttypid, a.atttypmod) AS type
        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = 'read' AND c.relkind IN ('r', 'v', 'p') AND a.attnum > 0 AND NOT a.attisdropped
       ORDER BY 1, a.attnum`);
    const live = new Map<string, Columns>();
    for (const r of rows) live.set(r.table, (live.get(r.table) ?? new Map<string, string>()).set(r.column, shortType(r.type)));
    const documented = documentedColumns(await readFile(DOC, 'utf8'));

    const flat = (tables: Map<string, Columns>) => [...tables].flatMap(([table, columns]) => [...columns].map(([column, type]) => `read.${table}.${column}: ${type}`)).sort();
    expect([...documented.keys()].sort(), 'the tables and views documented').toEqual([...live.keys()].sort());
    expect(flat(documented), 'each column and its type').toEqual(flat(live));
  });

  it('says what each column means', async () => {
    const markdown = await readFile(DOC, 'utf8');
    const blank = markdown.split('\n').filter((line) => /^\|\s*`[a-z_0-9]+`\s*\|\s*`[^`]+`\s*\|\s*\|\s*$/.test(line));
    expect(blank).toEqual([]);
  });
});
