import pg from 'pg';
import type { Logger } from 'pino';
import { Unauthorized } from '../../domain/shared/domain-error.js';
import type { Queryable } from '../event-store/postgres-event-store-sql.js';
import { DATABASE_ROLES, TENANT_SETTING } from './database-roles.js';
import { createKnex, roleOption, type Knex } from './knex.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface ReadAccessOptions {
  readonly url: string;
  readonly logger: Logger;
  /** Connections for the therapists' reads (knex and pg each), and as many for the public's. */
  readonly poolMax: number;
}

/**
 * How the API reads read models (issue 11): never as their owner. A therapist's reads run in a
 * transaction as `psicopay_api` with the tenant set by SET LOCAL, so row-level security hides every
 * other therapist's rows even from a query that forgets its filter; the public's run as
 * `psicopay_public`, which sees the calendar's public columns and nothing else. Each pool takes its
 * role at connection start.
 */
export class ReadAccess {
  /** The public's knex: profiles by slug, a booking's status through read.public_booking(id). */
  readonly public: Knex;
  /** The public's pg pool: the availability query's prepared statements. */
  readonly publicPool: pg.Pool;
  private readonly tenantDb: Knex;
  private readonly tenantPool: pg.Pool;

  constructor(options: ReadAccessOptions) {
    this.public = createKnex(options.url, options.poolMax, { role: DATABASE_ROLES.public, applicationName: 'psicopay-public-reads' });
    this.tenantDb = createKnex(options.url, options.poolMax, { role: DATABASE_ROLES.api, applicationName: 'psicopay-therapist-reads' });
    this.publicPool = new pg.Pool({ connectionString: options.url, max: options.poolMax, application_name: 'psicopay-public-reads', ...roleOption(DATABASE_ROLES.public) });
    this.tenantPool = new pg.Pool({ connectionString: options.url, max: options.poolMax, application_name: 'psicopay-therapist-reads', ...roleOption(DATABASE_ROLES.api) });
    for (const pool of [this.publicPool, this.tenantPool]) pool.on('error', (error) => options.logger.warn({ err: error }, 'read pool connection dropped'));
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
