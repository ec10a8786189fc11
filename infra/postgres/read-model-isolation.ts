import type { Knex } from 'knex';
import { rolesOf } from './database-roles.js';
import { quoteIdentifier } from './identifiers.js';

/**
 * What the public role may read of each table, column by column; a table not named here is not
 * public. Exceptions' reasons, booking ids behind busy time and the therapist's e-mail stay private.
 */
const PUBLIC_COLUMNS: Readonly<Record<string, readonly string[]>> = {
  therapists: ['id', 'name', 'slug', 'timezone', 'session_price', 'currency'],
  booking_policies: ['therapist_id', 'session_duration_minutes', 'buffer_before_minutes', 'buffer_after_minutes', 'min_advance_booking_hours', 'max_advance_booking_days', 'timezone', 'slot_step_minutes', 'calendar_revision'],
  availability_rules: ['therapist_id', 'day_of_week', 'start_time', 'end_time'],
  availability_exceptions: ['therapist_id', 'date', 'all_day', 'start_time', 'end_time', 'is_available'],
  busy_intervals: ['therapist_id', 'kind', 'starts_at', 'ends_at', 'expires_at'],
  // The slots a recurrence holds ahead of generation: when, not for whom nor at what price.
  recurrences: ['therapist_id', 'frequency', 'interval_days', 'day_of_week', 'local_time', 'duration_minutes', 'start_date', 'end_date', 'timezone', 'status', 'not_before', 'handled_through'],
};

/** Rows of a public table the public may not see at all. */
const PUBLIC_ROWS: Readonly<Record<string, string>> = { recurrences: "status = 'active'" };

/** The column naming a row's therapist, where it is not `therapist_id`. */
const TENANT_COLUMN: Readonly<Record<string, string>> = { therapists: 'id' };

/**
 * Puts every table of the `read` schema under row-level security: the API role sees the rows of the
 * transaction's tenant (none when no tenant is set), the analysts every row, the public role every
 * row of the public columns above. Idempotent: each migration that adds a read model calls it again,
 * and a table with no tenant column stops the migration, so no read model is born unisolated.
 */
export async function isolateReadModels(db: Knex): Promise<void> {
  const { api, analyst, public: publicRole } = await rolesOf(db);
  await db.raw(`GRANT USAGE ON SCHEMA read TO ${api}, ${publicRole}, ${analyst}`);
  // The freshness of an answer (where the projections stand), never a failure's text.
  await db.raw(`GRANT USAGE ON SCHEMA projections TO ${api}, ${publicRole}`);
  await db.raw(`GRANT SELECT (name, position_commit, position_prepare) ON projections.checkpoints TO ${api}, ${publicRole}`);
  await db.raw(`GRANT EXECUTE ON FUNCTION read.current_tenant() TO ${api}, ${publicRole}, ${analyst}`);

  const tables = await db.raw<{ rows: { name: string }[] }>(`
    SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'read' AND c.relkind IN ('r', 'p') ORDER BY c.relname`);
  for (const { name } of tables.rows) await isolateReadModel(db, 'read', name);
  // Views run as their caller (security_invoker), so the rows they show are the caller's own.
  const views = await db.raw<{ rows: { name: string }[] }>(`SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'read' AND c.relkind = 'v' AND 'security_invoker=true' = ANY (coalesce(c.reloptions, '{}'))`);
  for (const { name } of views.rows) await db.raw(`GRANT SELECT ON read.${name} TO ${api}, ${analyst}`);
}

/**
 * The policies and grants of one read-model table, `name` as it is known in `read`, wherever it is
 * now: a blue/green rebuild gives its fresh copy (still in its staging schema, which none of these
 * roles may use) the same ones before switching it in, since policies and grants belong to the table,
 * not to its name.
 */
export async function isolateReadModel(db: Knex, schema: string, name: string): Promise<void> {
  const { api, analyst, public: publicRole } = await rolesOf(db);
  const columns = await db.raw<{ rows: { name: string }[] }>(
    `SELECT a.attname AS name FROM pg_attribute a WHERE a.attrelid = ?::regclass AND a.attnum > 0 AND NOT a.attisdropped`,
    [`${quoteIdentifier(schema)}.${quoteIdentifier(name)}`],
  );
  const tenantColumn = TENANT_COLUMN[name] ?? 'therapist_id';
  if (!columns.rows.some((c) => c.name === tenantColumn)) throw new Error(`read.${name} has no ${tenantColumn} column: every read model belongs to a therapist (see read-model-isolation.ts)`);
  const table = `${quoteIdentifier(schema)}.${quoteIdentifier(name)}`;
  await db.raw(`ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY`);
  await db.raw(`GRANT SELECT ON ${table} TO ${api}, ${analyst}`);
  await db.raw(`DROP POLICY IF EXISTS tenant_rows ON ${table}`);
  await db.raw(`CREATE POLICY tenant_rows ON ${table} FOR SELECT TO ${api} USING (${tenantColumn} = read.current_tenant())`);
  await db.raw(`DROP POLICY IF EXISTS analyst_rows ON ${table}`);
  await db.raw(`CREATE POLICY analyst_rows ON ${table} FOR SELECT TO ${analyst} USING (true)`);
  await db.raw(`DROP POLICY IF EXISTS public_rows ON ${table}`);
  await db.raw(`REVOKE ALL ON ${table} FROM ${publicRole}`);
  const publicColumns = PUBLIC_COLUMNS[name];
  if (publicColumns) {
    await db.raw(`GRANT SELECT (${publicColumns.join(', ')}) ON ${table} TO ${publicRole}`);
    await db.raw(`CREATE POLICY public_rows ON ${table} FOR SELECT TO ${publicRole} USING (${PUBLIC_ROWS[name] ?? 'true'})`);
  }
}
