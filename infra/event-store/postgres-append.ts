import {
  START,
  WrongExpectedRevision,
  assertAppendable,
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
  assertAppendable(streamId, events);
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
  let result;
  try {
    result = await db.query<AppendRow>({ name: 'event_store_append', text: APPEND, values });
  } catch (error) {
    // The same events appended again (a retry after a lost answer): the first append's result, as EventStoreDB answers.
    const earlier = isDuplicateEventId(error) ? await earlierAppend(db, streamId, events).catch(() => undefined) : undefined;
    if (earlier) return earlier;
    throw duplicateEventIdOr(error, streamId);
  }
  const row = result.rows[0];
  if (!row) throw new Error(`Appending to ${streamId}: the store answered nothing`);
  if (!row.ok || row.commit === null || row.prepare === null) {
    // Also a retry of an append that did happen (its answer was lost): that append's answer.
    const earlier = await earlierAppend(db, streamId, events).catch(() => undefined);
    if (earlier) return earlier;
    throw new WrongExpectedRevision(streamId, expected, Number(row.revision));
  }
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

const BY_EVENT_IDS = `SELECT stream_id, stream_revision::text AS revision, transaction_id::text AS commit, global_position::text AS prepare
  FROM event_store.events WHERE event_id = ANY($1::uuid[]) ORDER BY stream_revision`;

/**
 * The result of an earlier append of exactly these events to this stream (same ids, consecutive
 * revisions, same order), or undefined when the ids were used otherwise.
 */
async function earlierAppend(db: Queryable, streamId: string, events: readonly EventToAppend[]): Promise<AppendResult | undefined> {
  const rows = (await db.query<{ stream_id: string; revision: string; commit: string; prepare: string }>({ name: 'event_store_by_event_ids', text: BY_EVENT_IDS, values: [events.map((e) => e.eventId)] })).rows;
  if (rows.length !== events.length || rows.some((r) => r.stream_id !== streamId)) return undefined;
  const first = Number(rows[0]?.revision);
  if (rows.some((r, i) => Number(r.revision) !== first + i)) return undefined;
  const last = rows.at(-1);
  return last ? { nextExpectedRevision: Number(last.revision), position: toPosition(last.commit, last.prepare) } : undefined;
}

function isDuplicateEventId(error: unknown): boolean {
  return error instanceof Error && 'constraint' in error && error.constraint === 'events_event_id_key';
}

/** A reused event id is a caller bug (e.g. a retried command that kept its ids); say so plainly. */
function duplicateEventIdOr(error: unknown, streamId: string): unknown {
  if (error instanceof Error && 'constraint' in error && error.constraint === 'events_event_id_key') {
    return new Error(`Appending to ${streamId}: an event with one of these event ids is already stored`, { cause: error });
  }
  return error;
}
