import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import pg from 'pg';

/**
 * The PostgreSQL roles of the product (created by migration 0010), named after their database:
 * roles are cluster-wide, and one database's API or analysts must reach no other database of the
 * cluster (nor change another's password). For a database `psicopay`: psicopay_api, psicopay_public,
 * psicopay_analyst.
 */
export interface DatabaseRoles {
  /** The API's therapist reads: every read model, rows of the tenant set for the transaction only. */
  readonly api: string;
  /** The public answers: the calendar's public columns, a booking's status through read.public_booking(id). */
  readonly public: string;
  /** Analysts: read-only SQL on every read model, nothing else. */
  readonly analyst: string;
}

export type RoleKind = keyof DatabaseRoles;

/** The setting row-level security reads the tenant from, set per transaction with set_config(…, true). */
export const TENANT_SETTING = 'psicopay.tenant';

const MAX_PREFIX = 50;

export function rolesFor(databaseName: string): DatabaseRoles {
  let prefix = databaseName.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  // Identifiers stop at 63 bytes: a long name keeps its start and a hash of the whole.
  if (prefix.length > MAX_PREFIX) prefix = `${prefix.slice(0, MAX_PREFIX - 9)}_${createHash('sha256').update(databaseName).digest('hex').slice(0, 8)}`;
  if (!/^[a-z_]/.test(prefix)) prefix = `db_${prefix}`;
  return { api: `${prefix}_api`, public: `${prefix}_public`, analyst: `${prefix}_analyst` };
}

export async function rolesOf(db: Knex): Promise<DatabaseRoles> {
  const result = await db.raw<{ rows: { name: string }[] }>('SELECT current_database() AS name');
  return rolesFor(result.rows[0]?.name ?? '');
}

/** The connection string of `role` on the database of `url`, with its password. */
export function urlAs(url: string, role: string, password: string): string {
  const parsed = new URL(url);
  parsed.username = role;
  parsed.password = password;
  return parsed.toString();
}

/** Passwords are generated or checked to this alphabet before they reach ALTER ROLE, which takes no parameters. */
const PASSWORD = /^[A-Za-z0-9_-]{16,128}$/;

/**
 * Makes `role` a login with `password`, unless it already logs in with it. Serialised per database
 * (two processes starting at once would otherwise fail with "tuple concurrently updated"); needs the
 * owner's CREATEROLE, as the migration that created the role did.
 */
export async function ensureLogin(db: Knex, url: string, role: string, password: string): Promise<void> {
  if (!PASSWORD.test(password)) throw new Error(`The password for ${role} must be 16 to 128 letters, digits, _ or -`);
  if (await logsIn(url, role, password)) return;
  await db.transaction(async (trx) => {
    await trx.raw("SELECT pg_advisory_xact_lock(hashtextextended('psicopay role logins', 0))");
    await trx.raw(`ALTER ROLE ${role} WITH LOGIN PASSWORD '${password}'`);
  });
}

async function logsIn(url: string, role: string, password: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: urlAs(url, role, password) });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch (error) {
    await client.end().catch(() => undefined);
    // 28P01 wrong password, 28000 no login: both are what ensureLogin repairs; anything else is not.
    const code = (error as { code?: string }).code;
    if (code === '28P01' || code === '28000') return false;
    throw error;
  }
}
