import pg from 'pg';
import {
  START,
  type AppendResult,
  type BatchHandler,
  type EventStore,
  type EventToAppend,
  type ExpectedRevision,
  type LogPosition,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type ReplayPage,
  type ReplayReadOptions,
  type SubscribeOptions,
  type Subscription,
} from './event-store.js';
import { appendInTransaction } from './postgres-append.js';
import { ensureEventStoreSchema } from './postgres-event-store-schema.js';
import { readAllPage, readHeadPosition, readReplayPage, readStreamRows } from './postgres-event-store-sql.js';
import { PostgresSubscription } from './postgres-subscription.js';

export { appendInTransaction } from './postgres-append.js';
export { ensureEventStoreSchema } from './postgres-event-store-schema.js';

export interface PostgresEventStoreOptions {
  /** readAll's page when the caller gives no maxCount. */
  readonly readAllPageSize?: number;
  /** A subscription's batch when the caller gives no batchSize; also its page read. */
  readonly batchSize?: number;
  /** A subscription's longest sleep between reads when no notification arrives. */
  readonly pollIntervalMs?: number;
}

export interface CreatePostgresEventStoreOptions extends PostgresEventStoreOptions {
  /** Connections in the pool the store creates (each live subscription holds one more for LISTEN). */
  readonly poolMax?: number;
}

const DEFAULT_PAGE_SIZE = 5000;
const DEFAULT_BATCH_SIZE = 1000;
const DEFAULT_POLL_INTERVAL_MS = 100;

/**
 * The event store on PostgreSQL, in its own `event_store` schema. Appends are one statement each
 * (see postgres-append.ts); the global order is (transaction id, sequence), read only below the
 * oldest running transaction (see postgres-event-store-sql.ts), so subscribers never skip a late commit.
 */
export class PostgresEventStore implements EventStore {
  private readonly subscriptions = new Set<PostgresSubscription>();
  private readonly pageSize: number;
  private readonly batchSize: number;
  private readonly pollIntervalMs: number;
  private ownsPool = false;

  /** Over a pool the caller owns (and ends); the schema must exist: see ensureEventStoreSchema or create(). */
  constructor(
    private readonly pool: pg.Pool,
    options: PostgresEventStoreOptions = {},
  ) {
    this.pageSize = options.readAllPageSize ?? DEFAULT_PAGE_SIZE;
    this.batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
    this.pollIntervalMs = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
  }

  /** Creates the pool (ended by close()) and the schema. */
  static async create(connectionString: string, options: CreatePostgresEventStoreOptions = {}): Promise<PostgresEventStore> {
    const pool = new pg.Pool({ connectionString, max: options.poolMax ?? 10 });
    // An idle client dropped by the server is replaced on next use; unhandled, the event would crash the process.
    pool.on('error', () => undefined);
    try {
      await ensureEventStoreSchema(pool);
    } catch (error) {
      await pool.end();
      throw error;
    }
    const store = new PostgresEventStore(pool, options);
    store.ownsPool = true;
    return store;
  }

  append(streamId: string, events: readonly EventToAppend[], expected: ExpectedRevision): Promise<AppendResult> {
    return appendInTransaction(this.pool, streamId, events, expected);
  }

  readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    return readStreamRows(this.pool, streamId, options.fromRevision ?? 0, options.maxCount ?? null);
  }

  readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    return readAllPage(this.pool, options.after ?? START, options.maxCount ?? this.pageSize);
  }

  readForReplay(options: ReplayReadOptions): Promise<ReplayPage> {
    return readReplayPage(this.pool, options);
  }

  subscribe(handler: BatchHandler, options: SubscribeOptions = {}): Subscription {
    const subscription = new PostgresSubscription(this.pool, handler, {
      after: options.after ?? START,
      batchSize: options.batchSize ?? this.batchSize,
      pollIntervalMs: this.pollIntervalMs,
    });
    this.subscriptions.add(subscription);
    void subscription.done.catch(() => undefined).finally(() => this.subscriptions.delete(subscription));
    return subscription;
  }

  headPosition(): Promise<LogPosition> {
    return readHeadPosition(this.pool);
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  /** Stops the live subscriptions (each holds a connection), then ends the pool if this store made it. */
  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((s) => s.close()));
    if (this.ownsPool) await this.pool.end();
  }
}
