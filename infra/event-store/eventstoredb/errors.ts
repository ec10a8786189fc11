/*
 * Errors of this adapter that belong to the port (infra/event-store/event-store.ts) once the PostgreSQL
 * adapter raises them too: until then they live here, and the port only sees them as Error.
 */

/**
 * An append that got no answer (a timeout, a dropped connection), and whose events reading the stream
 * back did not find: it may not have happened, or may still land. Retrying with the same event ids is
 * safe: the store recognises them and does not write them twice.
 */
export class AppendOutcomeUnknown extends Error {
  override readonly name = 'AppendOutcomeUnknown';
  constructor(
    readonly streamId: string,
    readonly eventIds: readonly string[],
    why: string,
    options: { cause: unknown },
  ) {
    super(`Appending to ${streamId}: outcome unknown: ${why}. Retrying with the same event ids is safe`, options);
  }
}

/** The store did not answer within its bound; the call was cancelled. */
export class EventStoreTimeout extends Error {
  override readonly name = 'EventStoreTimeout';
  constructor(
    readonly operation: string,
    readonly timeoutMs: number,
  ) {
    super(`EventStoreDB did not answer ${operation} within ${timeoutMs} ms`);
  }
}

export class EventStoreClosed extends Error {
  override readonly name = 'EventStoreClosed';
  constructor(operation: string) {
    super(`EventStoreDB event store: ${operation} after close()`);
  }
}
