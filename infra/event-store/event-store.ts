/**
 * The event store port. Two adapters implement it (PostgreSQL, EventStoreDB) and both
 * pass test/contract/event-store.contract.ts, so callers never know which one runs.
 *
 * Stream revisions count from 0 (EventStoreDB's numbering): a stream with one event is at revision 0.
 */

/**
 * A place in the global, totally ordered log. Compared as the pair (commit, prepare).
 * EventStoreDB: its commit/prepare positions. PostgreSQL: (transaction id, global sequence),
 * because ordering by transaction id and reading only below the oldest running transaction
 * is what keeps a slow concurrent commit from being skipped by a subscriber.
 */
export interface LogPosition {
  readonly commit: bigint;
  readonly prepare: bigint;
}

export const START: LogPosition = Object.freeze({ commit: -1n, prepare: -1n });

export function comparePositions(a: LogPosition, b: LogPosition): number {
  if (a.commit !== b.commit) return a.commit < b.commit ? -1 : 1;
  if (a.prepare !== b.prepare) return a.prepare < b.prepare ? -1 : 1;
  return 0;
}

export type ExpectedRevision =
  | { readonly kind: 'any' }
  | { readonly kind: 'no_stream' }
  | { readonly kind: 'stream_exists' }
  | { readonly kind: 'exact'; readonly revision: number };

export const ExpectedRevision = {
  any: { kind: 'any' } as ExpectedRevision,
  noStream: { kind: 'no_stream' } as ExpectedRevision,
  streamExists: { kind: 'stream_exists' } as ExpectedRevision,
  exact: (revision: number): ExpectedRevision => ({ kind: 'exact', revision }),
  /** What a caller that folded a stream up to `revision` (or found none, -1) expects. */
  after: (revision: number): ExpectedRevision => (revision < 0 ? { kind: 'no_stream' } : { kind: 'exact', revision }),
} as const;

/** Who caused an event. Recorded with every event for auditors. */
export type Actor =
  | { readonly kind: 'therapist'; readonly id: string }
  | { readonly kind: 'patient'; readonly bookingId?: string; readonly patientId?: string }
  | { readonly kind: 'system'; readonly job: string }
  | { readonly kind: 'webhook'; readonly source: string }
  | { readonly kind: 'operator'; readonly name: string };

export interface EventMetadata {
  readonly correlationId: string;
  readonly causationId: string | null;
  readonly actor: Actor;
}

export interface EventToAppend {
  readonly eventId: string;
  readonly type: string;
  readonly schemaVersion: number;
  readonly data: unknown;
  readonly metadata: EventMetadata;
}

/** An event as a replay reads it: what a projection's rows are made of, without the audit envelope. */
export interface ReplayedEvent {
  readonly streamId: string;
  readonly streamRevision: number;
  readonly position: LogPosition;
  readonly type: string;
  readonly schemaVersion: number;
  readonly data: unknown;
}

/** An event as it was recorded: what a replay reads, with the audit envelope. */
export interface RecordedEvent extends ReplayedEvent {
  readonly eventId: string;
  readonly metadata: EventMetadata;
  readonly recordedAt: Date;
}

export interface AppendResult {
  /** The revision of the last event appended. */
  readonly nextExpectedRevision: number;
  readonly position: LogPosition;
}

export class WrongExpectedRevision extends Error {
  override readonly name = 'WrongExpectedRevision';
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedRevision,
    /** -1 when the stream does not exist. */
    readonly actual: number,
  ) {
    super(`Stream ${streamId}: expected ${describeExpected(expected)}, found ${actual < 0 ? 'no stream' : `revision ${actual}`}`);
  }
}

function describeExpected(e: ExpectedRevision): string {
  return e.kind === 'exact' ? `revision ${e.revision}` : e.kind;
}

export interface ReadStreamOptions {
  /** First revision to return (inclusive). Default 0. */
  readonly fromRevision?: number;
  readonly maxCount?: number;
}

export interface ReadAllOptions {
  /** Return events strictly after this position. Default: from the beginning. */
  readonly after?: LogPosition;
  readonly maxCount?: number;
}

export interface ReplayReadOptions {
  readonly after: LogPosition;
  readonly maxCount: number;
  /** Only events of these types are returned; the others are passed over (see ReplayPage.through). */
  readonly types: readonly string[];
}

export interface ReplayPage {
  readonly events: readonly ReplayedEvent[];
  /**
   * Where the next page starts: at least the last event returned, and past the events of other
   * types the read passed over, up to the head as it stood once the read reached it.
   */
  readonly through: LogPosition;
  /** The read reached the head: nothing more to read now. */
  readonly end: boolean;
}

export interface SubscribeOptions {
  /** Deliver events strictly after this position (a checkpoint). Default: from the beginning. */
  readonly after?: LogPosition;
  /** Upper bound of a delivered batch. */
  readonly batchSize?: number;
}

/**
 * A catch-up-then-live subscription to all (non-system) events, delivered in log order,
 * each exactly once per subscription, in batches. The next batch is not delivered until
 * the handler's promise settles; a handler that throws stops the subscription with that error.
 */
export interface Subscription {
  /** Resolves when the subscription stops: by close(), or rejects with the handler's error (a store's outage is retried, not fatal). */
  readonly done: Promise<void>;
  close(): Promise<void>;
  /** Whether it follows the log now; during an outage it resubscribes from the last delivered position. */
  health(): SubscriptionHealth;
}

export interface SubscriptionHealth {
  readonly connected: boolean;
  /** When the current outage began (null: connected). */
  readonly outageSince: string | null;
  /** Times it resubscribed after an outage, over its life. */
  readonly resubscribed: number;
}

/** Stream ids and event types starting with `$` are the store's own (EventStoreDB's system streams): never ours to write. */
export function assertAppendable(streamId: string, events: readonly EventToAppend[]): void {
  if (streamId === '' || streamId.startsWith('$')) throw new InvalidAppend(`Stream id "${streamId}" is not one this application may write ($-prefixed or empty)`);
  const reserved = events.find((e) => e.type === '' || e.type.startsWith('$'));
  if (reserved) throw new InvalidAppend(`Event type "${reserved.type}" is not one this application may write ($-prefixed or empty)`);
}

export class InvalidAppend extends Error {
  override readonly name = 'InvalidAppend';
}

export type BatchHandler = (events: readonly RecordedEvent[]) => Promise<void>;

export interface EventStore {
  append(streamId: string, events: readonly EventToAppend[], expected: ExpectedRevision): Promise<AppendResult>;
  /** Events of one stream in revision order; an empty array when the stream does not exist. */
  readStream(streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  /** Events of all streams in log order. */
  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]>;
  subscribe(handler: BatchHandler, options?: SubscribeOptions): Subscription;
  /**
   * A page of the log for a projection's replay: its event types only, lean (no metadata, ids or
   * recording time), filtered where the events are. Optional: `readForReplay` (replay-read.ts)
   * filters a readAll page for a store without it.
   */
  readForReplay?(options: ReplayReadOptions): Promise<ReplayPage>;
  /** The position of the newest event visible to readAll, START when empty: what lag is measured against. */
  headPosition(): Promise<LogPosition>;
  /** Cheap liveness probe for /ready. */
  ping(): Promise<void>;
  /** What ops should see without a call to the server: events of other applications skipped so far. */
  health?(): { readonly foreignEventsSkipped: number };
  close(): Promise<void>;
}
