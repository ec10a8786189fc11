import type { z } from 'zod';
import type { DomainEvent } from './decider.js';
import type { EventDefinition } from './event-codec.js';

/**
 * The event type a definition describes, inferred from its zod schema, so each event's shape is
 * written once (the schema) and the TypeScript union cannot drift from what the codec accepts.
 */
export type EventOf<D> = D extends EventDefinition<infer T, infer S> ? DomainEvent<T, Readonly<z.output<S>>> : never;
