import {
  START,
  WrongExpectedRevision,
  type AppendResult,
  type EventToAppend,
  type ExpectedRevision,
} from './event-store.js';
import { isSatisfied } from './expected-revision.js';
import { toPosition, type Queryable } from './postgres-event-store-sql.js';

/**
 * How each expectation moves the stream's row. $1 stream id, $2 number of events, $8 expected revision.
 * Each one is a single conditional write on `streams`, so the check and the row lock are one step:
 * a concurrent writer waits on the lock, then re-evaluates the condition on the committed row and
 * finds nothing to update (or a conflict), which is how the loser learns it lost.
 */
const STREAM_WRITE: Record<ExpectedRevision['kind'], string> = {
  any: `INSERT INTO event_store.streams AS s (stream_id, revision) VALUES ($1, $2::bigint - 1)
    ON CONFLICT (stream_id) DO UPDATE SET revision = s.revision + $2::bigint RETURNING revision`,
  no_stream: `INSERT INTO event_store.streams (stream_id, revision) VALUES ($1, $2::bigint - 1)
    ON CONFLICT (stream_id) DO NOTHING RETURNING revision`,
  stream_exists: `UPDATE event_store.streams SET revision = revision + $2::bigint WHERE stream_id = $1 RETURNING revision`,
  exact: `UPDATE event_store.streams SET revision = revision + $2::bigint
    WHERE stream_id = $1 AND revision = $8::bigint RETURNING revision`,
};

/**
 * One statement, so one round trip and (outside a caller's transaction) one implicit transaction:
 * move the stream row, insert every event from arrays with unnest (numbered after the new revision),
 * and notify subscribers, which PostgreSQL delivers only at commit. No row back means the write lost.
 */
function appendStatement(kind: ExpectedRevision['kind']): string {
  return `WITH stream AS (${STREAM_WRITE[kind]}),
  appended AS (
    INSERT INTO event_store.events (stream_id, stream_revision, event_id, event_type, schema_version, data, metadata)
    SELECT $1, stream.revision - $2::bigint + e.ord, e.event_id, e.event_type, e.schema_version, e.data, e.metadata
    FROM stream, unnest($3::uuid[], $4::text[], $5::int[], $6::jsonb[], $7::jsonb[])
      WITH ORDINALITY AS e(event_id, event_type, schema_version, data, metadata, ord)
    ORDER BY e.ord
    RETURNING transaction_id, global_position
  )
  SELECT stream.revision::text AS revision, last.commit, last.prepare, pg_notify('event_store_appended', '') AS notified
  FROM stream, LATERAL (
    SELECT transaction_id::text AS commit, global_position::text AS prepare
    FROM appended ORDER BY global_position DESC LIMIT 1
  ) last`;
}

const STREAM_STATE = `SELECT s.revision::text AS revision, last.commit, last.prepare
  FROM event_store.streams s
  LEFT JOIN LATERAL (
    SELECT transaction_id::text AS commit, global_position::text AS prepare
    FROM event_store.events e WHERE e.stream_id = s.stream_id
    ORDER BY e.stream_revision DESC LIMIT 1
  ) last ON true
  WHERE s.stream_id = $1`;

/** A lost write is re-checked at most this often; see the loop below. */
const MAX_ATTEMPTS = 3;

interface AppendRow {
  readonly revision: string;
  readonly commit: string;
  readonly prepare: string;
}

/**
 * Appends on `db`: the pool (its own transaction) or a client inside the caller's open transaction,
 * in which case the events commit or roll back with the caller's other writes, and subscribers see
 * them only once that transaction ends.
 */
export async function appendInTransaction(
  db: Queryable,
  streamId: string,
  events: readonly EventToAppend[],
  expected: ExpectedRevision,
): Promise<AppendResult> {
  // An exact revision below 0 can only mean "no stream yet" (what ExpectedRevision.after(-1) says).
  const expectation: ExpectedRevision = expected.kind === 'exact' && expected.revision < 0 ? { kind: 'no_stream' } : expected;
  if (events.length === 0) return checkOnly(db, streamId, expectation, expected);

  const values: unknown[] = [
    streamId,
    events.length,
    events.map((e) => e.eventId),
    events.map((e) => e.type),
    events.map((e) => e.schemaVersion),
    events.map((e) => JSON.stringify(e.data) ?? 'null'),
    events.map((e) => JSON.stringify(e.metadata)),
  ];
  if (expectation.kind === 'exact') values.push(expectation.revision);

  for (let attempt = 1; ; attempt++) {
    const result = await db
      .query<AppendRow>({ name: `event_store_append_${expectation.kind}`, text: appendStatement(expectation.kind), values })
      .catch((error: unknown) => {
        throw duplicateEventIdOr(error, streamId);
      });
    const row = result.rows[0];
    if (row) return { nextExpectedRevision: Number(row.revision), position: toPosition(row.commit, row.prepare) };

    const actual = (await streamState(db, streamId)).revision;
    // Under READ COMMITTED an UPDATE cannot see a stream row committed after the statement began,
    // so "no such stream" may be stale; if the fresh state now meets the expectation, try again.
    if (!isSatisfied(expectation, actual) || attempt >= MAX_ATTEMPTS) throw new WrongExpectedRevision(streamId, expected, actual);
  }
}

/** Appending nothing writes nothing, but still answers whether the expectation holds, like a real append. */
async function checkOnly(db: Queryable, streamId: string, expectation: ExpectedRevision, expected: ExpectedRevision): Promise<AppendResult> {
  const state = await streamState(db, streamId);
  if (!isSatisfied(expectation, state.revision)) throw new WrongExpectedRevision(streamId, expected, state.revision);
  return { nextExpectedRevision: state.revision, position: state.position };
}

async function streamState(db: Queryable, streamId: string): Promise<{ revision: number; position: AppendResult['position'] }> {
  type StateRow = { revision: string; commit: string | null; prepare: string | null };
  const result = await db.query<StateRow>({ name: 'event_store_stream_state', text: STREAM_STATE, values: [streamId] });
  const row = result.rows[0];
  if (!row) return { revision: -1, position: START };
  // A stream row is only ever written together with its events; the null check keeps the types honest.
  const position = row.commit !== null && row.prepare !== null ? toPosition(row.commit, row.prepare) : START;
  return { revision: Number(row.revision), position };
}

/** A reused event id is a caller bug (e.g. a retried command that kept its ids); say so plainly. */
function duplicateEventIdOr(error: unknown, streamId: string): unknown {
  if (error instanceof Error && 'constraint' in error && error.constraint === 'events_event_id_key') {
    return new Error(`Appending to ${streamId}: an event with one of these event ids is already stored`, { cause: error });
  }
  return error;
}
