import type { Knex } from 'knex';
import type { DomainEvent } from '../domain/shared/decider.js';
import type { EncodedEvent } from '../domain/shared/event-codec.js';
import type { LogPosition } from '../infra/event-store/event-store.js';

/**
 * A decoded event and where it stands in its stream and the log. Not who recorded it or when: a
 * read model is made of the events' own facts, so a replay reads nothing else (see readForReplay).
 */
export interface ProjectedEvent<E extends DomainEvent = DomainEvent> {
  readonly event: E;
  readonly streamId: string;
  readonly streamRevision: number;
  readonly position: LogPosition;
}

/**
 * Where a run writes each of its tables, named by their live (fully qualified) name: the live table
 * itself, or a blue/green rebuild's fresh copy of it (see rebuild.ts). A projection names every
 * table it writes through it, so the same code builds either.
 */
export interface TableTarget {
  (liveTable: string): string;
  /** The tables are fresh copies that this run alone writes (a rebuild's): buffers bulk-load their inserts. */
  readonly fresh?: boolean;
}

/** The live tables themselves. */
export const LIVE_TABLES: TableTarget = (table) => table;

/**
 * One read model. `apply` runs inside the transaction that also advances the checkpoint, so a
 * batch is either fully projected and checkpointed or not at all; handlers must still be
 * idempotent (upserts, guards on stream revision) because a second process may deliver an event
 * again.
 */
export interface Projection {
  readonly name: string;
  /**
   * The version of its code (absent: 1). Raise it when a change to `apply` would leave different
   * rows from the same events: a service that starts with a higher version than the live tables were
   * built with rebuilds them blue/green while the current ones keep serving.
   */
  readonly version?: number;
  /** Event types this projection reads; other events only advance its checkpoint. */
  readonly handles: readonly string[];
  /** Fully qualified live tables it owns (and alone writes): what a rebuild builds afresh. */
  readonly tables: readonly string[];
  /** `target` names the tables to write (absent: the live ones). */
  apply(trx: Knex.Transaction, events: readonly ProjectedEvent[], target?: TableTarget): Promise<void>;
}

export function versionOf(projection: Projection): number {
  return projection.version ?? 1;
}

/** Turns a stored event into the current domain shape (zod + upcasting), or undefined if unknown. */
export type EventDecoder = (stored: EncodedEvent) => DomainEvent | undefined;

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
