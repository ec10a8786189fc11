import type { Knex } from 'knex';
import { isolateReadModel } from '../infra/postgres/read-model-isolation.js';
import { quoteIdentifier } from '../infra/postgres/identifiers.js';

/** A live table and its fresh copy in the rebuild's staging schema (same name, another schema). */
export interface StagedTable {
  /** As the projection names it: `read.booking_requests`. */
  readonly live: string;
  readonly liveSchema: string;
  readonly name: string;
  /** Schema-qualified name of the fresh copy (plain identifiers: knex and raw SQL take it as is). */
  readonly staged: string;
}

export interface StagingPlan {
  /** Where the fresh tables are built. */
  readonly schema: string;
  /** Where the switch moves the replaced tables until they are dropped, right after it commits. */
  readonly retired: string;
  readonly tables: readonly StagedTable[];
}

const PLAIN = /^[a-z_][a-z0-9_]*$/;

export function stagingPlan(projectionName: string, liveTables: readonly string[]): StagingPlan {
  const slug = projectionName.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  const schema = `rebuild_${slug}`;
  return {
    schema,
    retired: `retired_${slug}`,
    tables: liveTables.map((live) => {
      const [liveSchema, name, ...rest] = live.split('.');
      if (!liveSchema || !name || rest.length > 0 || !PLAIN.test(liveSchema) || !PLAIN.test(name)) throw new Error(`A projection names its tables schema.table in plain lower-case identifiers, not ${live}`);
      return { live, liveSchema, name, staged: `${schema}.${name}` };
    }),
  };
}

/**
 * Creates the staging schema and an empty copy of each live table: columns, defaults, checks,
 * comments and the primary and unique keys (the projection's upserts and keyed updates need them),
 * but no other index yet — those are built once, after the bulk of the replay (finishTables), which
 * is cheaper than maintaining them row by row and leaves updates free to stay on their page.
 */
export async function createStagingTables(trx: Knex.Transaction, plan: StagingPlan): Promise<void> {
  await trx.raw(`DROP SCHEMA IF EXISTS ${quoteIdentifier(plan.schema)} CASCADE`);
  await trx.raw(`CREATE SCHEMA ${quoteIdentifier(plan.schema)}`);
  for (const table of plan.tables) {
    const live = qualified(table.liveSchema, table.name);
    await trx.raw(`CREATE TABLE ${table.staged} (LIKE ${live} INCLUDING ALL EXCLUDING INDEXES)`);
    const keys = await trx.raw<{ rows: { name: string; definition: string }[] }>(
      `SELECT conname AS name, pg_get_constraintdef(oid) AS definition FROM pg_constraint WHERE conrelid = ?::regclass AND contype IN ('p', 'u', 'x') ORDER BY contype, conname`,
      [live],
    );
    for (const key of keys.rows) await trx.raw(`ALTER TABLE ${table.staged} ADD CONSTRAINT ${quoteIdentifier(key.name)} ${key.definition}`);
    const comment = await trx.raw<{ rows: { comment: string | null }[] }>(`SELECT obj_description(?::regclass, 'pg_class') AS comment`, [live]);
    const text = comment.rows[0]?.comment;
    if (text) await trx.raw(`COMMENT ON TABLE ${table.staged} IS ${literal(text)}`);
  }
}

/** Whether every fresh table is there with the live one's columns (a migration in between changes them: start over). */
export async function stagingMatchesLive(db: Knex | Knex.Transaction, plan: StagingPlan): Promise<boolean> {
  for (const table of plan.tables) {
    const [live, staged] = await Promise.all([shapeOf(db, qualified(table.liveSchema, table.name)), shapeOf(db, table.staged)]);
    if (staged === undefined || live !== staged) return false;
  }
  return true;
}

async function shapeOf(db: Knex | Knex.Transaction, table: string): Promise<string | undefined> {
  const exists = await db.raw<{ rows: { oid: string | null }[] }>('SELECT to_regclass(?)::oid::text AS oid', [table]);
  if (!exists.rows[0]?.oid) return undefined;
  const columns = await db.raw<{ rows: { shape: string }[] }>(
    `SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod) || CASE WHEN attnotnull THEN '!' ELSE '' END, ',' ORDER BY attname) AS shape
     FROM pg_attribute WHERE attrelid = ?::regclass AND attnum > 0 AND NOT attisdropped`,
    [table],
  );
  return columns.rows[0]?.shape ?? '';
}

/** Index builds and ANALYZEs running at once: each is one backend's work, and the replay has left the database otherwise idle. */
const FINISHING_AT_ONCE = 2;

/**
 * Builds the live tables' other indexes on the fresh ones (same names: they live in another schema
 * until the switch), gives them the live tables' row-level security and grants (`read` only), and
 * gathers planner statistics for their key columns, so the first queries after the switch plan as
 * well as before.
 * Index builds only share a lock on their table, so they run side by side, on connections of their own.
 */
export async function finishTables(db: Knex, plan: StagingPlan): Promise<void> {
  const builds: (() => Promise<unknown>)[] = [];
  for (const table of plan.tables) {
    const live = qualified(table.liveSchema, table.name);
    const indexes = await db.raw<{ rows: { name: string; is_unique: boolean; definition: string }[] }>(
      `SELECT c.relname AS name, i.indisunique AS is_unique, pg_get_indexdef(i.indexrelid) AS definition
       FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
       WHERE i.indrelid = ?::regclass AND NOT EXISTS (SELECT FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid)`,
      [live],
    );
    for (const index of indexes.rows) {
      // pg_get_indexdef: CREATE [UNIQUE] INDEX name ON [ONLY] schema.table USING method (…) [WHERE …]
      const using = index.definition.indexOf(' USING ');
      if (using < 0) throw new Error(`Cannot read the definition of index ${index.name}`);
      builds.push(() => db.raw(`CREATE ${index.is_unique ? 'UNIQUE ' : ''}INDEX IF NOT EXISTS ${quoteIdentifier(index.name)} ON ${table.staged}${index.definition.slice(using)}`));
    }
  }
  await atMost(FINISHING_AT_ONCE, builds);
  for (const table of plan.tables) if (table.liveSchema === 'read') await isolateReadModel(db, plan.schema, table.name);
  await atMost(FINISHING_AT_ONCE, plan.tables.map((table) => () => analyzeKeyColumns(db, table)));
}

/**
 * Statistics now for the columns the table's indexes cover, which the queries filter, join and sort
 * on, and so what their plans hinge on; the other columns (names, e-mails: text that only sorts by
 * collation, the bulk of a full ANALYZE) are left to autovacuum: a partial ANALYZE keeps the count
 * of rows changed since the last full one, and for the fresh table that is every row, so the
 * autovacuum launcher analyzes it whole within its next round after the switch.
 */
async function analyzeKeyColumns(db: Knex, table: StagedTable): Promise<void> {
  const columns = await db.raw<{ rows: { name: string }[] }>(
    `SELECT DISTINCT a.attname AS name FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
     WHERE i.indrelid = ?::regclass ORDER BY 1`,
    [table.staged],
  );
  if (columns.rows.length === 0) return;
  await db.raw(`ANALYZE ${table.staged} (${columns.rows.map((c) => quoteIdentifier(c.name)).join(', ')})`);
}

/** Runs the tasks, `limit` at a time, none started after one failed; that failure is thrown once the running ones have settled. */
async function atMost(limit: number, tasks: readonly (() => Promise<unknown>)[]): Promise<void> {
  let next = 0;
  let failed = false;
  const lanes = Array.from({ length: Math.min(limit, tasks.length) }, async () => {
    while (next < tasks.length && !failed) {
      try {
        await tasks[next++]?.();
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  });
  const settled = await Promise.allSettled(lanes);
  const rejected = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (rejected) throw rejected.reason;
}

/**
 * The switch proper, inside the caller's transaction (which holds the projection's checkpoint lock):
 * each live table moves to the retired schema and its fresh copy takes its place under the same
 * name. Views over a live table follow it by identity, not by name, so each is redefined over the
 * new one from its definition as it read before the move.
 */
export async function swapTables(trx: Knex.Transaction, plan: StagingPlan): Promise<void> {
  const live = plan.tables.map((t) => qualified(t.liveSchema, t.name));
  // Fully qualified names in the captured definitions, whatever the session's search_path.
  await trx.raw('SET LOCAL search_path = pg_catalog');
  const views = await trx.raw<{ rows: { view: string; definition: string }[] }>(
    `SELECT DISTINCT v.oid::regclass::text AS view, pg_get_viewdef(v.oid) AS definition
     FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid JOIN pg_class v ON v.oid = r.ev_class
     WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass AND d.refobjid = ANY (?::regclass[]) AND v.oid <> d.refobjid AND v.relkind = 'v'`,
    [live],
  );
  await trx.raw(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(plan.retired)}`);
  for (const table of plan.tables) {
    await trx.raw(`ALTER TABLE ${qualified(table.liveSchema, table.name)} SET SCHEMA ${quoteIdentifier(plan.retired)}`);
    await trx.raw(`ALTER TABLE ${table.staged} SET SCHEMA ${quoteIdentifier(table.liveSchema)}`);
  }
  for (const { view, definition } of views.rows) await trx.raw(`CREATE OR REPLACE VIEW ${view} AS ${definition}`);
}

/** Drops what a switch replaced (or a discarded rebuild built); harmless when there is nothing. */
export async function dropSchemas(db: Knex, ...schemas: readonly string[]): Promise<void> {
  for (const schema of schemas) await db.raw(`DROP SCHEMA IF EXISTS ${quoteIdentifier(schema)} CASCADE`);
}

function qualified(schema: string, name: string): string {
  return `${quoteIdentifier(schema)}.${quoteIdentifier(name)}`;
}


function literal(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}
