import type { Knex } from 'knex';

/**
 * Every row of every table in every schema of the database, as text (a row cast to text holds all
 * its columns, JSON and events included), searched for each of `values`: where any still appears.
 */
export async function plaintextFindings(db: Knex, values: readonly string[]): Promise<string[]> {
  const tables = (await db.raw<{ rows: { schema: string; name: string }[] }>(
    `SELECT table_schema AS schema, table_name AS name FROM information_schema.tables
     WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')`,
  )).rows;
  const findings: string[] = [];
  for (const { schema, name } of tables) {
    const rows = (await db.raw<{ rows: { row: string }[] }>(`SELECT t::text AS row FROM "${schema}"."${name}" t`)).rows;
    for (const { row } of rows) {
      const lower = row.toLowerCase();
      for (const value of values) if (lower.includes(value.toLowerCase())) findings.push(`${schema}.${name} holds "${value}"`);
    }
  }
  return [...new Set(findings)];
}
