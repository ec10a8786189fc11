import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, inject } from 'vitest';
import { PostgresEventStore } from '../../infra/event-store/postgres-event-store.js';
import { createKnex, migrateToLatest, type Knex } from '../../infra/postgres/knex.js';

/** A fresh, empty database in the run's embedded cluster, for one test file. */
export async function createTestDatabase(prefix = 'test'): Promise<{ url: string; drop: () => Promise<void> }> {
  const adminUrl = inject('postgresAdminUrl');
  const name = `${prefix}_${randomBytes(6).toString('hex')}`.toLowerCase();
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

/**
 * A fresh database for one specification file, migrated, with the PostgreSQL event store and a knex
 * on it: created before the file's tests, dropped after. Read the fields inside tests (or hooks).
 */
export function useEventStoreDatabase(prefix: string): { readonly db: Knex; readonly store: PostgresEventStore; readonly url: string } {
  let database: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
  let db: Knex | undefined;
  let store: PostgresEventStore | undefined;
  beforeAll(async () => {
    database = await createTestDatabase(prefix);
    db = createKnex(database.url, 4);
    await migrateToLatest(db);
    store = await PostgresEventStore.create(database.url);
  });
  afterAll(async () => {
    await store?.close();
    await db?.destroy();
    await database?.drop();
  });
  const ready = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('useEventStoreDatabase: read its fields inside a test or hook');
    return value;
  };
  return {
    get db() {
      return ready(db);
    },
    get store() {
      return ready(store);
    },
    get url() {
      return ready(database).url;
    },
  };
}
