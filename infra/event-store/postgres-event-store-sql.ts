import type pg from 'pg';
import { comparePositions, START, type EventMetadata, type LogPosition, type RecordedEvent, type ReplayedEvent, type ReplayPage, type ReplayReadOptions } from './event-store.js';

/** Anything that runs a query: the pool, or a client inside a caller's transaction. */
export type Queryable = Pick<pg.ClientBase, 'query'>;

interface ReplayRow {
  readonly commit: string;
  readonly prepare: string;
  readonly stream_id: string;
  readonly stream_revision: string;
  readonly event_type: string;
  readonly schema_version: number;
  readonly data: unknown;
}

/** A row as the whole-log and stream reads select it: a replay's columns and the audit envelope. */
export interface EventRow extends ReplayRow {
  readonly event_id: string;
  readonly metadata: EventMetadata;
  readonly recorded_at: Date;
}

/** xid8 has no JS type in pg; going through text gives an exact bigint. */
const EVENT_COLUMNS = `transaction_id::text AS commit, global_position::text AS prepare, stream_id,
  stream_revision::text AS stream_revision, event_id::text AS event_id, event_type, schema_version,
  data, metadata, recorded_at`;

/**
 * Only transactions older than the oldest one still running are read: every row they wrote is
 * committed (or rolled back) for good, so nothing can later appear behind a checkpoint taken here.
 * A transaction that is slow to commit holds readers back instead of being skipped by them.
 * The row comparison and the ORDER BY match events_transaction_position_idx, so a page is an index range scan.
 */
const READ_ALL_PAGE = `SELECT ${EVENT_COLUMNS} FROM event_store.events
  WHERE (transaction_id, global_position) > ($1::text::xid8, $2::bigint)
    AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
  ORDER BY transaction_id, global_position
  LIMIT $3`;

/** READ_ALL_PAGE narrowed to some event types, with only the columns a replay decodes. */
const REPLAY_PAGE = `SELECT transaction_id::text AS commit, global_position::text AS prepare, stream_id,
  stream_revision::text AS stream_revision, event_type, schema_version, data
  FROM event_store.events
  WHERE (transaction_id, global_position) > ($1::text::xid8, $2::bigint)
    AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
    AND event_type = ANY ($4::text[])
  ORDER BY transaction_id, global_position
  LIMIT $3`;

// Qualified: a bare `stream_revision` in ORDER BY would mean the text output column, sorting 10 before 2.
const READ_STREAM = `SELECT ${EVENT_COLUMNS} FROM event_store.events e
  WHERE e.stream_id = $1 AND e.stream_revision >= $2
  ORDER BY e.stream_revision
  LIMIT $3`;

const HEAD_POSITION = `SELECT transaction_id::text AS commit, global_position::text AS prepare
  FROM event_store.events
  WHERE transaction_id < pg_snapshot_xmin(pg_current_snapshot())
  ORDER BY transaction_id DESC, global_position DESC
  LIMIT 1`;

export async function readAllPage(db: Queryable, after: LogPosition, limit: number): Promise<RecordedEvent[]> {
  // START is (-1, -1); xid8 is unsigned and no real transaction id is 0, so 0 stands for "before all".
  const commit = after.commit < 0n ? 0n : after.commit;
  const result = await db.query<EventRow>({
    name: 'event_store_read_all',
    text: READ_ALL_PAGE,
    values: [commit.toString(), after.prepare.toString(), limit],
  });
  return result.rows.map(toRecordedEvent);
}

/**
 * A short page has read everything of these types up to the head, and the head is read first: any
 * event at or below it was already committed for good, so the page cannot have missed one there.
 */
export async function readReplayPage(db: Queryable, options: ReplayReadOptions): Promise<ReplayPage> {
  const head = await readHeadPosition(db);
  const commit = options.after.commit < 0n ? 0n : options.after.commit;
  const result = await db.query<ReplayRow>({
    name: 'event_store_read_replay',
    text: REPLAY_PAGE,
    values: [commit.toString(), options.after.prepare.toString(), options.maxCount, options.types],
  });
  const events = result.rows.map(toReplayedEvent);
  const last = events.at(-1)?.position ?? options.after;
  if (events.length >= options.maxCount) return { events, through: last, end: false };
  return { events, through: comparePositions(head, last) > 0 ? head : last, end: true };
}

export async function readStreamRows(db: Queryable, streamId: string, fromRevision: number, maxCount: number | null): Promise<RecordedEvent[]> {
  const result = await db.query<EventRow>({
    name: 'event_store_read_stream',
    text: READ_STREAM,
    values: [streamId, Math.max(0, fromRevision), maxCount],
  });
  return result.rows.map(toRecordedEvent);
}

export async function readHeadPosition(db: Queryable): Promise<LogPosition> {
  const result = await db.query<{ commit: string; prepare: string }>({ name: 'event_store_head', text: HEAD_POSITION });
  const row = result.rows[0];
  return row ? toPosition(row.commit, row.prepare) : START;
}

export function toPosition(commit: string, prepare: string): LogPosition {
  return { commit: BigInt(commit), prepare: BigInt(prepare) };
}

function toReplayedEvent(row: ReplayRow): ReplayedEvent {
  return {
    streamId: row.stream_id,
    streamRevision: Number(row.stream_revision),
    position: toPosition(row.commit, row.prepare),
    type: row.event_type,
    schemaVersion: row.schema_version,
    data: row.data,
  };
}

function toRecordedEvent(row: EventRow): RecordedEvent {
  return Object.assign(toReplayedEvent(row), { eventId: row.event_id, metadata: row.metadata, recordedAt: row.recorded_at });
}
