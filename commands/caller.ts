import { randomUUID } from 'node:crypto';
import type { Actor, EventMetadata } from '../infra/event-store/event-store.js';

/** Who asks, and the request that carries the ask: becomes every resulting event's metadata. */
export interface Caller {
  readonly actor: Actor;
  /** The HTTP request id, the job run, or the CLI invocation. */
  readonly correlationId: string;
  /** The event that caused this command (a job reacting to an event), if any. */
  readonly causationId?: string | null;
}

export function metadataOf(caller: Caller): EventMetadata {
  return { correlationId: caller.correlationId, causationId: caller.causationId ?? null, actor: caller.actor };
}

export function systemCaller(job: string, causationId: string | null = null): Caller {
  return { actor: { kind: 'system', job }, correlationId: randomUUID(), causationId };
}
