import pg from 'pg';
import type { Logger } from 'pino';
import { Unauthorized } from '../../domain/shared/domain-error.js';
import type { Queryable } from '../event-store/postgres-event-store-sql.js';
import { ensureLogin, rolesOf, TENANT_SETTING, urlAs, type DatabaseRoles } from './database-roles.js';
import { createKnex, type Knex } from './knex.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface ReadAccessOptions {
  /** The owner's connection string: the roles log in to the same database. */
  readonly url: string;
  readonly logger: Logger;
  /** Connections of each pool. */
  readonly poolMax: number;
  /** The roles' login passwords (derived from the master key, the same in every process). */
  readonly passwordOf: (role: string) => string;
}

/**
 * How the API reads read models (issue 11): never as their owner. A therapist's reads run in a
 * transaction as `psicopay_api` with the tenant set by SET LOCAL, so row-level security hides every
 * other therapist's rows even from a query that forgets its filter; the public's run as
 * `psicopay_public`, which sees the calendar's public columns and nothing else. Each pool logs in as
 * its role (neither is a member of the owner, so no statement can SET ROLE its way out).
 */
export class ReadAccess {
  /** The public's knex: profiles by slug, a booking's status through read.public_booking(id). */
  readonly public: Knex;
  /** The public's pg pool: the availability query's prepared statements. */
  readonly publicPool: pg.Pool;
  private readonly tenantDb: Knex;
  private readonly tenantPool: pg.Pool;

  private constructor(
    readonly roles: DatabaseRoles,
    private readonly urls: Readonly<Record<'api' | 'public', string>>,
    options: ReadAccessOptions,
  ) {
    this.public = createKnex(urls.public, Math.ceil(options.poolMax / 2), { applicationName: 'psicopay-public-reads' });
    this.tenantDb = createKnex(urls.api, options.poolMax, { applicationName: 'psicopay-therapist-reads' });
    this.publicPool = new pg.Pool({ connectionString: urls.public, max: options.poolMax, application_name: 'psicopay-public-reads' });
    this.tenantPool = new pg.Pool({ connectionString: urls.api, max: Math.ceil(options.poolMax / 2), application_name: 'psicopay-therapist-reads' });
    for (const pool of [this.publicPool, this.tenantPool]) pool.on('error', (error) => options.logger.warn({ err: error }, 'read pool connection dropped'));
  }

  /** Gives the API's roles their logins (when they do not log in yet) and opens their pools. */
  static async open(owner: Knex, options: ReadAccessOptions): Promise<ReadAccess> {
    const roles = await rolesOf(owner);
    const urls = { api: urlAs(options.url, roles.api, options.passwordOf(roles.api)), public: urlAs(options.url, roles.public, options.passwordOf(roles.public)) };
    await ensureLogin(owner, options.url, roles.api, options.passwordOf(roles.api));
    await ensureLogin(owner, options.url, roles.public, options.passwordOf(roles.public));
    return new ReadAccess(roles, urls, options);
  }

  /** The connection string of one of the API's roles (for the specifications that read as it). */
  connectionUrl(role: 'api' | 'public'): string {
    return this.urls[role];
  }

  /** Reads of one therapist's read models, through knex. */
  async asTherapist<T>(therapistId: string, read: (db: Knex) => Promise<T>): Promise<T> {
    const tenant = tenantOf(therapistId);
    return this.tenantDb.transaction(async (trx) => {
      await trx.raw('SELECT set_config(?, ?, true)', [TENANT_SETTING, tenant]);
      return read(trx);
    });
  }

  /** Reads of one therapist's read models on a plain pg client (the prepared availability statements). */
  async asTherapistClient<T>(therapistId: string, read: (client: Queryable) => Promise<T>): Promise<T> {
    const tenant = tenantOf(therapistId);
    const client = await this.tenantPool.connect();
    try {
      // One round trip: the tenant is a validated UUID, so it can be a literal of the simple protocol.
      await client.query(`BEGIN READ ONLY; SELECT set_config('${TENANT_SETTING}', '${tenant}', true)`);
      const result = await read(client);
      await client.query('COMMIT');
      client.release();
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      client.release(true);
      throw error;
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.public.destroy(), this.tenantDb.destroy(), this.publicPool.end(), this.tenantPool.end()]);
  }
}

function tenantOf(therapistId: string): string {
  const tenant = therapistId.toLowerCase();
  // Never reached with a token's own therapist id; a malformed one must not become SQL.
  if (!UUID.test(tenant)) throw new Unauthorized('The caller is not a therapist');
  return tenant;
}
