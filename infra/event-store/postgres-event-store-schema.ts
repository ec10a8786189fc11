import type pg from 'pg';

/** Arbitrary constant key: every process that creates the schema takes the same advisory lock. */
const SCHEMA_LOCK_KEY = 7_215_531_001;

/**
 * The event store's own schema. `streams` holds one row per stream whose revision is the
 * optimistic-concurrency guard; `events` is the log. The (transaction_id, global_position) index
 * is what subscriptions page through: see readAllPage in postgres-event-store-sql.ts.
 */
const SCHEMA_SQL = `
CREATE SCHEMA IF NOT EXISTS event_store;

CREATE TABLE IF NOT EXISTS event_store.streams (
  stream_id text PRIMARY KEY,
  revision bigint NOT NULL
);

CREATE TABLE IF NOT EXISTS event_store.events (
  global_position bigserial NOT NULL,
  transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
  stream_id text NOT NULL,
  stream_revision bigint NOT NULL,
  event_id uuid NOT NULL UNIQUE,
  event_type text NOT NULL,
  schema_version int NOT NULL,
  data jsonb NOT NULL,
  metadata jsonb NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (stream_id, stream_revision)
);

CREATE INDEX IF NOT EXISTS events_transaction_position_idx
  ON event_store.events (transaction_id, global_position);
`;

/**
 * Creates the schema if missing. Safe when several processes start at once: CREATE ... IF NOT EXISTS
 * alone can still fail on a concurrent creation (a unique violation in the catalog), so creators
 * serialise on a transaction-scoped advisory lock, released by the commit.
 */
export async function ensureEventStoreSchema(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK_KEY]);
    await client.query(SCHEMA_SQL);
    await client.query('COMMIT');
    client.release();
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    client.release(true);
    throw error;
  }
}
