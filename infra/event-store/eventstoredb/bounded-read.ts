import { StreamNotFoundError, type RecordedEvent as EsdbRecordedEvent, type StreamingRead } from '@eventstore/db-client';
import type { RecordedEvent } from '../event-store.js';
import { EventStoreTimeout } from './errors.js';
import { classify, foreignInStream } from './mapping.js';
import type { ForeignEvent } from './options.js';

export type EsdbRead = StreamingRead<{ event?: EsdbRecordedEvent }>;

export interface ReadBound {
  /** Names the read in a timeout's message. */
  readonly operation: string;
  readonly idleMs: number;
  /** The count the read asked the server for, if any: once that many arrived, the server ends the call itself. */
  readonly requested?: number;
}

/**
 * Feeds what a read returns to `take` until it says stop (false) or the read ends, and bounds the silence:
 * the client reads with an infinite deadline, so when nothing arrives for `idleMs` our own timer cancels
 * the call on the server and the read rejects with EventStoreTimeout. A stream that does not exist reads as empty.
 * A read stopped early is cancelled on the server, unless the server is about to end it anyway: a cancel
 * is a reset stream on the wire, and a server counts rapid resets against the connection (HTTP/2 reset-flood
 * protection answers them with GOAWAY, failing every call on it).
 */
export async function drain(read: EsdbRead, bound: ReadBound, take: (event: EsdbRecordedEvent | undefined) => boolean): Promise<void> {
  const timer = setTimeout(() => {
    // Destroying our end makes the loop below throw; cancelling tells the server to stop.
    read.destroy(new EventStoreTimeout(bound.operation, bound.idleMs));
    void read.cancel().catch(() => undefined);
  }, bound.idleMs);
  let received = 0;
  let taking = true;
  try {
    for await (const resolved of read) {
      timer.refresh();
      received++;
      if (taking && !take(resolved.event)) {
        taking = false;
        if (received >= (bound.requested ?? Number.POSITIVE_INFINITY)) continue;
        await read.cancel();
        break;
      }
    }
  } catch (error) {
    if (error instanceof StreamNotFoundError) return;
    // Whatever stopped us (our timer, an event we refuse), the server need not go on sending.
    void read.cancel().catch(() => undefined);
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

export interface CollectOptions extends ReadBound {
  readonly limit: number;
  readonly accept?: (event: RecordedEvent) => boolean;
  /** Where foreign events go: counted and skipped ($all), or undefined to fail on them (a stream of ours). */
  readonly onForeign: ((foreign: ForeignEvent) => void) | undefined;
}

/** Our events, up to `limit` that pass `accept`; system events are hidden, foreign ones skipped or fatal. */
export async function collect(read: EsdbRead, options: CollectOptions): Promise<RecordedEvent[]> {
  const found: RecordedEvent[] = [];
  if (options.limit <= 0) {
    await read.cancel();
    return found;
  }
  await drain(read, options, (raw) => {
    const classified = classify(raw);
    if (classified.kind === 'foreign') {
      if (!options.onForeign) throw foreignInStream(classified.foreign);
      options.onForeign(classified.foreign);
    }
    if (classified.kind === 'ours' && (options.accept?.(classified.event) ?? true)) found.push(classified.event);
    return found.length < options.limit;
  });
  return found;
}
