import type { ExpectedRevision } from './event-store.js';

/**
 * Whether a stream at `actual` (-1: no stream) meets the expectation. Adapters use it where the
 * store itself does not check, e.g. for an append of no events, so both adapters agree on it.
 */
export function isSatisfied(expected: ExpectedRevision, actual: number): boolean {
  switch (expected.kind) {
    case 'any':
      return true;
    case 'no_stream':
      return actual < 0;
    case 'stream_exists':
      return actual >= 0;
    case 'exact':
      return expected.revision === actual;
    default: {
      const unknown: never = expected;
      throw new Error(`Unknown expected revision ${JSON.stringify(unknown)}`);
    }
  }
}
