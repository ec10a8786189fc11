import { BACKWARDS, END, EventStoreDBClient } from '@eventstore/db-client';
import {
  START, WrongExpectedRevision, assertAppendable, comparePositions,
  type AppendResult, type BatchHandler, type EventStore, type EventToAppend, type ExpectedRevision, type LogPosition,
  type ReadAllOptions, type ReadStreamOptions, type RecordedEvent, type SubscribeOptions, type Subscription, type SubscriptionHealth,
} from '../event-store.js';
import { isSatisfied } from '../expected-revision.js';
import { appendEvents, type AppendContext } from './append.js';
import { collect, drain } from './bounded-read.js';
import { EventStoreClosed } from './errors.js';
import { classify, normalised, toReadPosition } from './mapping.js';
import { resolveOptions, withThrowOnAppendFailure, type EventStoreDbOptions, type ForeignEvent, type ResolvedOptions } from './options.js';
import { EventStoreDbSubscription } from './subscription.js';

/** Same defaults as the PostgreSQL adapter, so callers see the same page and batch sizes on either. */
const DEFAULT_PAGE_SIZE = 5000;
const DEFAULT_BATCH_SIZE = 1000;

/** What ops (and /ready) read of the adapter without calling the server. */
export interface EventStoreDbHealth {
  /** False while any subscription is in an outage, i.e. resubscribing. */
  readonly ok: boolean;
  readonly subscriptions: readonly SubscriptionHealth[];
  /** Events in $all that are not ours, skipped by reads and subscriptions (once per time read). */
  readonly foreignEventsSkipped: number;
  readonly lastForeignEvent: ForeignEvent | null;
}

/**
 * The event store on EventStoreDB. Revisions and the order of $all are the server's own; only
 * the expectation of an empty append is checked here, since the server never sees such an append.
 * System streams and events ($-prefixed) are hidden: readAll in this client version takes no
 * server-side filter, so reads of $all skip them as they stream past. Events of other writers in $all
 * are skipped and counted (health()); in one of our streams they are an error, since skipping them
 * would hide a revision from optimistic concurrency. Every call has its own time bound.
 */
export class EventStoreDbEventStore implements EventStore {
  private readonly subscriptions = new Set<EventStoreDbSubscription>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private closing = false;
  private foreign = { skipped: 0, last: null as ForeignEvent | null };
  private readonly appendContext: AppendContext;

  private constructor(
    private readonly connectionString: string,
    private readonly client: EventStoreDBClient,
    private readonly options: ResolvedOptions,
    private readonly onForeignEvent: ((event: ForeignEvent) => void) | undefined,
  ) {
    this.appendContext = {
      client,
      appendMs: options.appendMs,
      readStream: (streamId, { fromRevision, maxCount }) => this.readOne(streamId, fromRevision, maxCount),
      readStreamBackwards: (streamId, maxCount) => this.readBackwards(streamId, maxCount),
      currentRevision: async (streamId) => (await this.lastOf(streamId))?.revision ?? -1,
    };
  }

  /** The client connects lazily; a first read makes a wrong URL or a down server fail here, not later. */
  static async connect(connectionString: string, options: EventStoreDbOptions = {}): Promise<EventStoreDbEventStore> {
    const forced = withThrowOnAppendFailure(connectionString);
    const client = EventStoreDBClient.connectionString(forced);
    const store = new EventStoreDbEventStore(forced, client, resolveOptions(options), options.onForeignEvent);
    try {
      await store.ping();
    } catch (error) {
      await client.dispose();
      throw error;
    }
    return store;
  }

  append(streamId: string, events: readonly EventToAppend[], expected: ExpectedRevision): Promise<AppendResult> {
    return this.track('append', async () => {
      // Before anything reaches the server: EventStoreDB would accept the write and hide it from every read.
      assertAppendable(streamId, events);
      if (events.length === 0) return this.checkOnly(streamId, expected);
      return appendEvents(this.appendContext, streamId, events, expected);
    });
  }

  readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    return this.track('readStream', () => this.readOne(streamId, options.fromRevision ?? 0, options.maxCount ?? Number.MAX_SAFE_INTEGER));
  }

  readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    return this.track('readAll', () => {
      const after = options.after ?? START;
      // Reading from a position includes the event at it, so that one is skipped: `after` is exclusive.
      return collect(this.client.readAll({ fromPosition: toReadPosition(after) }), {
        operation: 'a read of $all', idleMs: this.options.readMs, limit: options.maxCount ?? DEFAULT_PAGE_SIZE,
        accept: (e) => comparePositions(e.position, after) > 0, onForeign: this.countForeign,
      });
    });
  }

  subscribe(handler: BatchHandler, options: SubscribeOptions = {}): Subscription {
    if (this.closing) throw new EventStoreClosed('subscribe');
    // Its own client, so its own connection: the client closes its channel on every UNAVAILABLE, and a
    // subscription retrying through an outage must not tear down the connection under appends and reads.
    const client = EventStoreDBClient.connectionString(this.connectionString);
    const subscription = new EventStoreDbSubscription(client, handler, options.after ?? START, options.batchSize ?? DEFAULT_BATCH_SIZE, {
      initialDelayMs: this.options.initialDelayMs, maxDelayMs: this.options.maxDelayMs, onForeign: this.countForeign,
    });
    this.subscriptions.add(subscription);
    void subscription.done.catch(() => undefined).finally(() => this.subscriptions.delete(subscription));
    return subscription;
  }

  headPosition(): Promise<LogPosition> {
    return this.track('headPosition', async () => {
      const [newest] = await collect(this.client.readAll({ fromPosition: END, direction: BACKWARDS }), {
        operation: 'a read of the head of $all', idleMs: this.options.readMs, limit: 1, onForeign: this.countForeign,
      });
      return newest?.position ?? START;
    });
  }

  /** Whether the server answers a read within pingMs; what the answer holds does not matter. */
  ping(): Promise<void> {
    return this.track('ping', () => drain(this.client.readAll({ fromPosition: END, direction: BACKWARDS, maxCount: 1 }), { operation: 'a ping', idleMs: this.options.pingMs, requested: 1 }, () => false));
  }

  /** No call to the server: subscriptions' outages and the foreign events skipped so far. */
  health(): EventStoreDbHealth {
    const subscriptions = [...this.subscriptions].map((s) => s.health());
    return { ok: subscriptions.every((s) => s.outageSince === null), subscriptions, foreignEventsSkipped: this.foreign.skipped, lastForeignEvent: this.foreign.last };
  }

  /** Stops the subscriptions, lets calls under way finish (each is bounded), then disconnects. */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.all([...this.subscriptions].map((s) => s.close()));
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    await this.client.dispose();
  }

  private readonly countForeign = (event: ForeignEvent): void => {
    this.foreign = { skipped: this.foreign.skipped + 1, last: event };
    this.onForeignEvent?.(event);
  };

  private track<T>(operation: string, run: () => Promise<T>): Promise<T> {
    if (this.closing) return Promise.reject(new EventStoreClosed(operation));
    const promise = run();
    this.inFlight.add(promise);
    void promise.catch(() => undefined).finally(() => this.inFlight.delete(promise));
    return promise;
  }

  /** Strict: a foreign event in one of our streams is an error, not something to skip. */
  private readOne(streamId: string, fromRevision: number, maxCount: number): Promise<RecordedEvent[]> {
    return collect(this.client.readStream(streamId, { fromRevision: BigInt(fromRevision), maxCount }), {
      operation: `a read of stream ${streamId}`, idleMs: this.options.readMs, limit: maxCount, requested: maxCount, onForeign: undefined,
    });
  }

  private readBackwards(streamId: string, maxCount: number): Promise<RecordedEvent[]> {
    return collect(this.client.readStream(streamId, { fromRevision: END, direction: BACKWARDS, maxCount }), {
      operation: `a read of stream ${streamId}`, idleMs: this.options.readMs, limit: maxCount, requested: maxCount, onForeign: undefined,
    });
  }

  /** The stream's last event as the server numbers it, whoever wrote it. */
  private async lastOf(streamId: string): Promise<{ revision: number; position: LogPosition } | undefined> {
    let last: { revision: number; position: LogPosition } | undefined;
    const bound = { operation: `a read of stream ${streamId}`, idleMs: this.options.readMs, requested: 1 };
    await drain(this.client.readStream(streamId, { fromRevision: END, direction: BACKWARDS, maxCount: 1 }), bound, (event) => {
      const classified = classify(event);
      if (event && classified.kind !== 'none') last = { revision: Number(event.revision), position: classified.position };
      return false;
    });
    return last;
  }

  /** Appending nothing writes nothing, but still answers whether the expectation holds, like a real append. */
  private async checkOnly(streamId: string, expected: ExpectedRevision): Promise<AppendResult> {
    const last = await this.lastOf(streamId);
    const actual = last?.revision ?? -1;
    if (!isSatisfied(normalised(expected), actual)) throw new WrongExpectedRevision(streamId, expected, actual);
    return { nextExpectedRevision: actual, position: last?.position ?? START };
  }
}
