import type { Knex } from 'knex';
import type { DomainEvent } from '../domain/shared/decider.js';
import type { EventMetadata, LogPosition, RecordedEvent } from '../infra/event-store/event-store.js';

/** A decoded event with the envelope a projection may need (stream, revision, who, when). */
export interface ProjectedEvent<E extends DomainEvent = DomainEvent> {
  readonly event: E;
  readonly streamId: string;
  readonly streamRevision: number;
  readonly position: LogPosition;
  readonly metadata: EventMetadata;
  readonly recordedAt: Date;
}

/**
 * One read model. `apply` runs inside the transaction that also advances the checkpoint, so a
 * batch is either fully projected and checkpointed or not at all; handlers must still be
 * idempotent (upserts, guards on stream revision) because a rebuild or a second process may
 * deliver an event again.
 */
export interface Projection {
  readonly name: string;
  /** Event types this projection reads; other events only advance its checkpoint. */
  readonly handles: readonly string[];
  /** Fully qualified tables it owns, emptied on rebuild. */
  readonly tables: readonly string[];
  apply(trx: Knex.Transaction, events: readonly ProjectedEvent[]): Promise<void>;
}

/** Turns a stored event into the current domain shape (zod + upcasting), or undefined if unknown. */
export type EventDecoder = (recorded: RecordedEvent) => DomainEvent | undefined;

/**
 * The batch narrowed to the event types a projection declared in `handles`: the runner passes
 * nothing else, so a projection's switch is exhaustive over exactly what it reads.
 */
export function handledEvents<E extends DomainEvent, T extends E['type']>(
  events: readonly ProjectedEvent[],
  _handles: readonly T[],
): readonly ProjectedEvent<Extract<E, { type: T }>>[] {
  return events as readonly ProjectedEvent<Extract<E, { type: T }>>[];
}
