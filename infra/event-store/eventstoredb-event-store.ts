import {
  ANY, BACKWARDS, END, EventStoreDBClient, NO_STREAM, STREAM_EXISTS, StreamNotFoundError, WrongExpectedVersionError, excludeSystemEvents, jsonEvent,
  type AllStreamSubscription, type AppendExpectedRevision, type JSONType, type ReadPosition, type RecordedEvent as EsdbRecordedEvent, type StreamingRead,
} from '@eventstore/db-client';
import {
  START, WrongExpectedRevision, comparePositions,
  type AppendResult, type BatchHandler, type EventMetadata, type EventStore, type EventToAppend, type ExpectedRevision, type LogPosition,
  type ReadAllOptions, type ReadStreamOptions, type RecordedEvent, type SubscribeOptions, type Subscription,
} from './event-store.js';
import { isSatisfied } from './expected-revision.js';

/** Same defaults as the PostgreSQL adapter, so callers see the same page and batch sizes on either. */
const DEFAULT_PAGE_SIZE = 5000;
const DEFAULT_BATCH_SIZE = 1000;

/** What we keep in an event's metadata JSON: ours, plus the schema version EventStoreDB has no field for. */
type StoredMetadata = EventMetadata & { readonly schemaVersion: number };

/**
 * The event store on EventStoreDB. Revisions and the order of $all are the server's own; only
 * the expectation of an empty append is checked here, since the server never sees such an append.
 * System streams and events ($-prefixed) are hidden: readAll in this client version takes no
 * server-side filter, so reads of $all skip them as they stream past.
 */
export class EventStoreDbEventStore implements EventStore {
  private readonly subscriptions = new Set<EventStoreDbSubscription>();

  private constructor(private readonly client: EventStoreDBClient) {}

  /** The client connects lazily; a first read makes a wrong URL or a down server fail here, not later. */
  static async connect(connectionString: string): Promise<EventStoreDbEventStore> {
    const store = new EventStoreDbEventStore(EventStoreDBClient.connectionString(connectionString));
    try {
      await store.ping();
    } catch (error) {
      await store.client.dispose();
      throw error;
    }
    return store;
  }

  async append(streamId: string, events: readonly EventToAppend[], expected: ExpectedRevision): Promise<AppendResult> {
    if (events.length === 0) return this.checkOnly(streamId, expected);
    try {
      const result = await this.client.appendToStream(streamId, events.map(toEventData), { expectedRevision: toEsdbExpected(expected) });
      const revision = Number(result.nextExpectedRevision);
      // The server answers with its commit position as both halves, which is not the last event's (commit, prepare)
      // pair when several events were written; reading that event back by its revision is exact and not racy.
      const [last] = await this.readStream(streamId, { fromRevision: revision, maxCount: 1 });
      if (!last) throw new Error(`Appending to ${streamId}: revision ${revision} could not be read back`);
      return { nextExpectedRevision: revision, position: last.position };
    } catch (error) {
      if (error instanceof WrongExpectedVersionError) {
        const actual = error.actualVersion === NO_STREAM ? -1 : Number(error.actualVersion);
        throw new WrongExpectedRevision(streamId, expected, actual);
      }
      throw error;
    }
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const maxCount = options.maxCount ?? Number.MAX_SAFE_INTEGER;
    return collect(this.client.readStream(streamId, { fromRevision: BigInt(options.fromRevision ?? 0), maxCount }), maxCount);
  }

  readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    const after = options.after ?? START;
    // Reading from a position includes the event at it, so that one is skipped: `after` is exclusive.
    const read = this.client.readAll({ fromPosition: toReadPosition(after) });
    return collect(read, options.maxCount ?? DEFAULT_PAGE_SIZE, (e) => comparePositions(e.position, after) > 0);
  }

  subscribe(handler: BatchHandler, options: SubscribeOptions = {}): Subscription {
    const subscription = new EventStoreDbSubscription(this.client, handler, options.after ?? START, options.batchSize ?? DEFAULT_BATCH_SIZE);
    this.subscriptions.add(subscription);
    void subscription.done.catch(() => undefined).finally(() => this.subscriptions.delete(subscription));
    return subscription;
  }

  async headPosition(): Promise<LogPosition> {
    const [newest] = await collect(this.client.readAll({ fromPosition: END, direction: BACKWARDS }), 1);
    return newest?.position ?? START;
  }

  async ping(): Promise<void> {
    for await (const _ of this.client.readAll({ fromPosition: END, direction: BACKWARDS, maxCount: 1 })) break;
  }

  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((s) => s.close()));
    await this.client.dispose();
  }

  /** Appending nothing writes nothing, but still answers whether the expectation holds, like a real append. */
  private async checkOnly(streamId: string, expected: ExpectedRevision): Promise<AppendResult> {
    const [last] = await collect(this.client.readStream(streamId, { fromRevision: END, direction: BACKWARDS, maxCount: 1 }), 1);
    const actual = last?.streamRevision ?? -1;
    if (!isSatisfied(normalised(expected), actual)) throw new WrongExpectedRevision(streamId, expected, actual);
    return { nextExpectedRevision: actual, position: last?.position ?? START };
  }
}

/**
 * Delivers $all to the handler in batches. The client's stream pushes events as they come; they wait
 * in a buffer, and the stream is paused while the buffer is full, so a slow handler holds the server back
 * instead of filling memory. Filtering on the server keeps system events from even crossing the wire.
 */
class EventStoreDbSubscription implements Subscription {
  readonly done: Promise<void>;
  private readonly buffer: RecordedEvent[] = [];
  private stopping = false;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;
  private readonly stream: AllStreamSubscription;

  constructor(
    client: EventStoreDBClient,
    private readonly handler: BatchHandler,
    private last: LogPosition,
    private readonly batchSize: number,
  ) {
    this.stream = client.subscribeToAll({ fromPosition: toReadPosition(last), filter: excludeSystemEvents() });
    this.stream.on('data', (resolved) => {
      // An event that cannot be mapped must stop the subscription, not throw inside the client's stream.
      try {
        this.receive(toRecorded(resolved.event));
      } catch (error) {
        this.fail(error);
      }
    });
    // Unhandled, an 'error' event would crash the process.
    this.stream.on('error', (error) => this.fail(error));
    this.stream.on('end', () => this.fail(new Error('EventStoreDB subscription: the server ended the subscription')));
    this.done = this.run();
    // Whoever holds the subscription may never await done; its rejection must not crash the process.
    this.done.catch(() => undefined);
  }

  /** Stops after the batch in the handler, if any, has settled. */
  async close(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.done.catch(() => undefined);
  }

  private receive(event: RecordedEvent | undefined): void {
    // Positions only grow, so this skips what lies at or before the checkpoint, and never repeats an event.
    if (this.stopping || !event || comparePositions(event.position, this.last) <= 0) return;
    this.last = event.position;
    this.buffer.push(event);
    if (this.buffer.length >= 2 * this.batchSize) this.stream.pause();
    this.wake?.();
  }

  private async run(): Promise<void> {
    try {
      while (!this.stopping) {
        if (this.buffer.length === 0) {
          // Checked and armed in one synchronous step, so a wake-up cannot slip in between.
          await new Promise<void>((resolve) => (this.wake = resolve));
          this.wake = undefined;
          continue;
        }
        const batch = this.buffer.splice(0, this.batchSize);
        if (this.stream.isPaused() && this.buffer.length < this.batchSize) this.stream.resume();
        await this.handler(batch);
      }
    } finally {
      this.stopping = true;
      // Cancelling a call that never opened fails too; that must not hide the error that stopped us.
      await this.stream.unsubscribe().catch(() => undefined);
    }
    if (this.failure) throw this.failure;
  }

  private fail(error: unknown): void {
    if (this.stopping) return;
    this.failure = error instanceof Error ? error : new Error(String(error));
    this.stopping = true;
    this.wake?.();
  }
}

/** Reads until `limit` of our (non-system) events passed `accept`; a read stopped early is cancelled on the server. */
async function collect(
  read: StreamingRead<{ event?: EsdbRecordedEvent }>,
  limit: number,
  accept: (e: RecordedEvent) => boolean = () => true,
): Promise<RecordedEvent[]> {
  const found: RecordedEvent[] = [];
  if (limit <= 0) {
    await read.cancel();
    return found;
  }
  try {
    for await (const resolved of read) {
      const event = toRecorded(resolved.event);
      if (event && accept(event)) found.push(event);
      if (found.length >= limit) {
        await read.cancel();
        break;
      }
    }
  } catch (error) {
    if (error instanceof StreamNotFoundError) return [];
    throw error;
  }
  return found;
}

function toRecorded(event: EsdbRecordedEvent | undefined): RecordedEvent | undefined {
  if (!event || event.type.startsWith('$') || event.streamId.startsWith('$')) return undefined;
  // Servers before 22.6 send no position with stream reads; the port needs one on every event.
  if (!event.position) throw new Error(`Event ${event.id} came without a log position: EventStoreDB 22.6 or later is required`);
  const { schemaVersion, ...metadata } = storedMetadata(event.metadata, event.id);
  return {
    eventId: event.id,
    streamId: event.streamId,
    streamRevision: Number(event.revision),
    position: { commit: event.position.commit, prepare: event.position.prepare },
    type: event.type,
    schemaVersion,
    data: event.data,
    metadata,
    recordedAt: event.created,
  };
}

/** Every event this store writes carries this metadata; anything else in the store is not ours to read. */
function storedMetadata(raw: unknown, eventId: string): StoredMetadata {
  if (typeof raw !== 'object' || raw === null || raw instanceof Uint8Array || !('schemaVersion' in raw)) {
    throw new Error(`Event ${eventId} has no schemaVersion in its metadata: it was not written by this event store`);
  }
  return raw as StoredMetadata;
}

function toEventData(event: EventToAppend) {
  const metadata: StoredMetadata = { ...event.metadata, schemaVersion: event.schemaVersion };
  // The client JSON-stringifies data whatever its type; undefined would not stringify, so it is stored as null.
  const data = (event.data === undefined ? null : event.data) as JSONType;
  return jsonEvent({ id: event.eventId, type: event.type, data, metadata });
}

/** An exact revision below 0 can only mean "no stream yet" (what ExpectedRevision.after(-1) says). */
function normalised(expected: ExpectedRevision): ExpectedRevision {
  return expected.kind === 'exact' && expected.revision < 0 ? { kind: 'no_stream' } : expected;
}

function toEsdbExpected(expected: ExpectedRevision): AppendExpectedRevision {
  const e = normalised(expected);
  if (e.kind === 'exact') return BigInt(e.revision);
  const byKind = { any: ANY, no_stream: NO_STREAM, stream_exists: STREAM_EXISTS } as const;
  return byKind[e.kind];
}

function toReadPosition(position: LogPosition): ReadPosition {
  return comparePositions(position, START) <= 0 ? 'start' : { commit: position.commit, prepare: position.prepare };
}
