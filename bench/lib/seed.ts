import { createHash, randomBytes } from 'node:crypto';
import pg from 'pg';
import { ExpectedRevision, type EventToAppend } from '../../infra/event-store/event-store.js';
import { ensureEventStoreSchema, PostgresEventStore } from '../../infra/event-store/postgres-event-store.js';
import { createKnex, migrateToLatest } from '../../infra/postgres/knex.js';

export interface StreamWrite {
  readonly stream: string;
  readonly events: readonly EventToAppend[];
}

export interface SeedStore {
  readonly store: PostgresEventStore;
  readonly pool: pg.Pool;
  close(): Promise<void>;
}

/**
 * The event store adapter over a pool whose sessions skip waiting for the WAL flush: seeding is
 * setup, not measurement (a crash would only lose the bench's own data). Also migrates the read-model
 * schema, so credentials can be inserted before the service first starts.
 */
export async function openSeedStore(url: string): Promise<SeedStore> {
  const pool = new pg.Pool({ connectionString: url, max: 8, options: '-c synchronous_commit=off' });
  pool.on('error', () => undefined);
  await ensureEventStoreSchema(pool);
  const db = createKnex(url, 2);
  try {
    await migrateToLatest(db);
  } finally {
    await db.destroy();
  }
  return { store: new PostgresEventStore(pool), pool, close: () => pool.end() };
}

/** Appends stream by stream, `chunk` events per statement, `concurrency` statements at a time; returns the count. */
export async function appendStreams(store: PostgresEventStore, writes: Iterable<StreamWrite>, concurrency = 4, chunk = 1000): Promise<number> {
  const iterator = writes[Symbol.iterator]();
  let appended = 0;
  const worker = async () => {
    for (let next = iterator.next(); !next.done; next = iterator.next()) {
      const { stream, events } = next.value;
      for (let i = 0; i < events.length; i += chunk) {
        await store.append(stream, events.slice(i, i + chunk), ExpectedRevision.any);
      }
      appended += events.length;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return appended;
}

/** A bearer token for a therapist, stored hashed as the service does (infra/http/auth.ts). */
export async function issueToken(pool: pg.Pool, therapistId: string): Promise<string> {
  const token = `tk_${randomBytes(32).toString('base64url')}`;
  const hash = createHash('sha256').update(token).digest('hex');
  await pool.query('INSERT INTO app.therapist_credentials (token_hash, therapist_id, label) VALUES ($1, $2, $3)', [hash, therapistId, 'bench']);
  return token;
}
