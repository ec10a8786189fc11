/**
 * The EventStoreDB adapter, split under ./eventstoredb/: the store (store.ts), its resubscribing
 * subscription (subscription.ts), appends and their read-back (append.ts), time-bounded reads
 * (bounded-read.ts), the mapping of events and what counts as ours (mapping.ts), options (options.ts)
 * and errors that belong to the port once both adapters raise them (errors.ts).
 */
export { EventStoreDbEventStore, type EventStoreDbHealth } from './eventstoredb/store.js';
export type { EventStoreDbOptions, ForeignEvent } from './eventstoredb/options.js';
export { AppendOutcomeUnknown, EventStoreClosed, EventStoreTimeout } from './eventstoredb/errors.js';
