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
 * One call, so one round trip: see event_store.append_events in postgres-event-store-schema.ts.
 * `ok` false means the expectation did not hold; `revision` is then the stream's actual one.
 */
const APPEND = `SELECT ok, revision::text AS revision, commit, prepare
  FROM event_store.append_events($1, $2, $3, $4::uuid[], $5::text[], $6::int[], $7::jsonb[], $8::jsonb[])`;

const STREAM_STATE = `SELECT s.revision::text AS revision, last.commit, last.prepare
  FROM event_store.streams s
  LEFT JOIN LATERAL (
    SELECT transaction_id::text AS commit, global_position::text AS prepare
    FROM event_store.events e WHERE e.stream_id = s.stream_id
    ORDER BY e.stream_revision DESC LIMIT 1
  ) last ON true
  WHERE s.stream_id = $1`;

interface AppendRow {
  readonly ok: boolean;
  readonly revision: string;
  readonly commit: string | null;
  readonly prepare: string | null;
}

/**
 * Appends on `db`: the pool (its own transaction) or a client inside the caller's open transaction,
 * in which case the events commit or roll back with the caller's other writes, and subscribers see
 * them only once that transaction ends. Inside a caller's transaction the append must be its first
 * write: the log is ordered by transaction id, and only an id taken after the stream lock keeps a
 * stream's events in revision order in the log.
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
    expectation.kind,
    expectation.kind === 'exact' ? expectation.revision : null,
    events.map((e) => e.eventId),
    events.map((e) => e.type),
    events.map((e) => e.schemaVersion),
    events.map((e) => JSON.stringify(e.data) ?? 'null'),
    events.map((e) => JSON.stringify(e.metadata)),
  ];
  const result = await db.query<AppendRow>({ name: 'event_store_append', text: APPEND, values }).catch((error: unknown) => {
    throw duplicateEventIdOr(error, streamId);
  });
  const row = result.rows[0];
  if (!row) throw new Error(`Appending to ${streamId}: the store answered nothing`);
  if (!row.ok || row.commit === null || row.prepare === null) throw new WrongExpectedRevision(streamId, expected, Number(row.revision));
  return { nextExpectedRevision: Number(row.revision), position: toPosition(row.commit, row.prepare) };
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
