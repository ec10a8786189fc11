import { randomUUID } from 'node:crypto';
import type { EventStore, EventToAppend, LogPosition, RecordedEvent, Subscription } from '../../infra/event-store/event-store.js';

export interface ContractStore {
  readonly store: EventStore;
  readonly teardown: () => Promise<void>;
}

/** Streams are unique per test, so the contract never relies on an empty store. */
export function uniqueStream(label: string): string {
  return `contract_${label}-${randomUUID().replaceAll('-', '').slice(0, 12)}`;
}

export function anEvent(type = 'Ticked', data: unknown = { n: 1 }, schemaVersion = 1): EventToAppend {
  return {
    eventId: randomUUID(),
    type,
    schemaVersion,
    data,
    metadata: { correlationId: randomUUID(), causationId: null, actor: { kind: 'system', job: 'contract' } },
  };
}

export function events(count: number, type = 'Ticked'): EventToAppend[] {
  return Array.from({ length: count }, (_, i) => anEvent(type, { i }));
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Retries an assertion until it passes. Reads of the whole log are only eventually complete on
 * PostgreSQL: an event is readable once every older transaction in the cluster has ended.
 */
export async function eventually<T>(assertion: () => Promise<T>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await assertion();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(20);
    }
  }
}

/** Events of the given streams in what readAll returns after `after`, following pages to the end. */
export async function readAllOf(store: EventStore, after: LogPosition, streams: ReadonlySet<string>): Promise<RecordedEvent[]> {
  const found: RecordedEvent[] = [];
  let position = after;
  for (;;) {
    const page = await store.readAll({ after: position, maxCount: 500 });
    const last = page.at(-1);
    if (!last) return found;
    found.push(...page.filter((e) => streams.has(e.streamId)));
    position = last.position;
  }
}

/** A subscription that records what it receives (of the given streams) and can wait for a count. */
export class Recorder {
  readonly received: RecordedEvent[] = [];
  readonly batches: number[] = [];
  private waiters: (() => void)[] = [];

  constructor(private readonly streams?: (streamId: string) => boolean) {}

  readonly handle = (batch: readonly RecordedEvent[]): Promise<void> => {
    this.batches.push(batch.length);
    this.received.push(...batch.filter((e) => this.streams?.(e.streamId) ?? true));
    for (const wake of this.waiters) wake();
    return Promise.resolve();
  };

  async waitFor(count: number, subscription: Subscription, timeoutMs = 10_000): Promise<RecordedEvent[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.received.length < count) {
      if (Date.now() > deadline) throw new Error(`Expected ${count} events, received ${this.received.length} within ${timeoutMs} ms`);
      // A subscription that stopped will deliver nothing more: surface its error instead of timing out.
      await Promise.race([new Promise<void>((resolve) => this.waiters.push(resolve)), subscription.done, sleep(50)]);
      this.waiters = [];
    }
    return this.received;
  }
}
