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

-- The append, as one function so it is one round trip. The advisory lock comes first, before any
-- write: a transaction id is only taken at the first write, so appenders of one stream take their
-- ids in the order they take the lock, and the log (ordered by transaction id) keeps each stream in
-- revision order. A row lock on streams would come too late: an UPDATE or INSERT ... ON CONFLICT
-- takes its id before it waits for the row, so a writer could hold an older id than the one it
-- waited for. Under READ COMMITTED each statement below sees what the previous lock holder committed.
CREATE OR REPLACE FUNCTION event_store.append_events(
  p_stream_id text, p_expected_kind text, p_expected_revision bigint,
  p_event_ids uuid[], p_types text[], p_versions int[], p_data jsonb[], p_metadata jsonb[])
RETURNS TABLE (ok boolean, revision bigint, commit text, prepare text)
LANGUAGE plpgsql VOLATILE AS $fn$
DECLARE
  v_count bigint := cardinality(p_event_ids);
  v_current bigint;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended(p_stream_id, 7215531));
  SELECT s.revision INTO v_current FROM event_store.streams s WHERE s.stream_id = p_stream_id;
  IF (p_expected_kind = 'no_stream' AND v_current IS NOT NULL)
     OR (p_expected_kind = 'stream_exists' AND v_current IS NULL)
     OR (p_expected_kind = 'exact' AND v_current IS DISTINCT FROM p_expected_revision) THEN
    RETURN QUERY SELECT false, coalesce(v_current, -1), NULL::text, NULL::text;
    RETURN;
  END IF;
  IF v_current IS NULL THEN
    INSERT INTO event_store.streams (stream_id, revision) VALUES (p_stream_id, v_count - 1);
    v_current := -1;
  ELSE
    UPDATE event_store.streams SET revision = v_current + v_count WHERE stream_id = p_stream_id;
  END IF;
  RETURN QUERY
    WITH appended AS (
      INSERT INTO event_store.events (stream_id, stream_revision, event_id, event_type, schema_version, data, metadata)
      SELECT p_stream_id, v_current + e.ord, e.event_id, e.event_type, e.schema_version, e.data, e.metadata
      FROM unnest(p_event_ids, p_types, p_versions, p_data, p_metadata)
        WITH ORDINALITY AS e(event_id, event_type, schema_version, data, metadata, ord)
      ORDER BY e.ord
      RETURNING transaction_id, global_position
    )
    SELECT true, v_current + v_count, a.transaction_id::text, a.global_position::text
    FROM appended a ORDER BY a.global_position DESC LIMIT 1;
  -- Delivered at commit: wakes live subscriptions.
  PERFORM pg_notify('event_store_appended', '');
END
$fn$;
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
