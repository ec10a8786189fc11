import {
  ANY, NO_STREAM, STREAM_EXISTS, jsonEvent,
  type AppendExpectedRevision, type JSONType, type ReadPosition, type RecordedEvent as EsdbRecordedEvent,
} from '@eventstore/db-client';
import { START, comparePositions, type EventMetadata, type EventToAppend, type ExpectedRevision, type LogPosition, type RecordedEvent } from '../event-store.js';
import type { ForeignEvent } from './options.js';

/** What we keep in an event's metadata JSON: ours, plus the schema version EventStoreDB has no field for. */
type StoredMetadata = EventMetadata & { readonly schemaVersion: number };

/**
 * An event read from EventStoreDB, as this store sees it:
 * - `ours`: written by this store (its metadata carries our schemaVersion);
 * - `system`: EventStoreDB's own ($-prefixed stream or type), hidden without a word;
 * - `foreign`: anyone else's (another application, the web UI), skipped and counted, never fatal in $all.
 * `none` is a resolved link without its event: nothing to read.
 */
export type Classified =
  | { readonly kind: 'ours'; readonly position: LogPosition; readonly event: RecordedEvent }
  | { readonly kind: 'system'; readonly position: LogPosition }
  | { readonly kind: 'foreign'; readonly position: LogPosition; readonly foreign: ForeignEvent }
  | { readonly kind: 'none' };

export function classify(event: EsdbRecordedEvent | undefined): Classified {
  if (!event) return { kind: 'none' };
  // Servers before 22.6 send no position with stream reads; the port needs one on every event.
  if (!event.position) throw new Error(`Event ${event.id} came without a log position: EventStoreDB 22.6 or later is required`);
  const position: LogPosition = { commit: event.position.commit, prepare: event.position.prepare };
  if (event.type.startsWith('$') || event.streamId.startsWith('$')) return { kind: 'system', position };
  const why = whyNotOurs(event);
  if (why) return { kind: 'foreign', position, foreign: { eventId: event.id, streamId: event.streamId, type: event.type, reason: why } };
  const { schemaVersion, ...metadata } = event.metadata as unknown as StoredMetadata;
  return {
    kind: 'ours',
    position,
    event: {
      eventId: event.id,
      streamId: event.streamId,
      streamRevision: Number(event.revision),
      position,
      type: event.type,
      schemaVersion,
      data: event.data,
      metadata,
      recordedAt: event.created,
    },
  };
}

/**
 * Every event this store writes is JSON with JSON metadata carrying a numeric schemaVersion. Only that
 * marker is checked: a stricter test would hide our own events written before a metadata field was added.
 */
function whyNotOurs(event: EsdbRecordedEvent): string | undefined {
  const raw: unknown = event.metadata;
  if (raw === undefined) return 'no metadata';
  if (raw instanceof Uint8Array) return 'metadata is not JSON';
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return 'metadata is not a JSON object';
  if (!('schemaVersion' in raw) || !Number.isInteger(raw.schemaVersion)) return 'metadata has no schemaVersion';
  if (!event.isJson) return 'data is not JSON';
  return undefined;
}

export function foreignInStream(foreign: ForeignEvent): Error {
  return new Error(`Event ${foreign.eventId} in stream ${foreign.streamId} was not written by this event store (${foreign.reason})`);
}

export function toEventData(event: EventToAppend) {
  const metadata: StoredMetadata = { ...event.metadata, schemaVersion: event.schemaVersion };
  // The client JSON-stringifies data whatever its type; undefined would not stringify, so it is stored as null.
  const data = (event.data === undefined ? null : event.data) as JSONType;
  return jsonEvent({ id: event.eventId, type: event.type, data, metadata });
}

/** An exact revision below 0 can only mean "no stream yet" (what ExpectedRevision.after(-1) says). */
export function normalised(expected: ExpectedRevision): ExpectedRevision {
  return expected.kind === 'exact' && expected.revision < 0 ? { kind: 'no_stream' } : expected;
}

export function toEsdbExpected(expected: ExpectedRevision): AppendExpectedRevision {
  const e = normalised(expected);
  if (e.kind === 'exact') return BigInt(e.revision);
  const byKind = { any: ANY, no_stream: NO_STREAM, stream_exists: STREAM_EXISTS } as const;
  return byKind[e.kind];
}

export function toReadPosition(position: LogPosition): ReadPosition {
  return comparePositions(position, START) <= 0 ? 'start' : { commit: position.commit, prepare: position.prepare };
}
