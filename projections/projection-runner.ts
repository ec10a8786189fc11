import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { comparePositions, START, type EventStore, type LogPosition, type RecordedEvent, type Subscription } from '../infra/event-store/event-store.js';
import { advanceCheckpoint, lockCheckpoint, markFailed, readCheckpoint, resetCheckpoint } from './checkpoint-store.js';
import type { EventDecoder, ProjectedEvent, Projection } from './projection.js';

/** A projection that sees none of its events writes its checkpoint at least this often. */
const LAZY_CHECKPOINT_EVENTS = 10_000;
const LAZY_CHECKPOINT_MS = 5_000;

/** Events per transaction: large enough that a rebuild is not paid in commits, small enough to keep live lag low. */
const DEFAULT_BATCH_SIZE = 2000;

/** The stored checkpoint went back behind this runner's position: resubscribe from it. */
class CheckpointMovedBack extends Error {
  override readonly name = 'CheckpointMovedBack';
}

export interface ProjectionStatus {
  readonly name: string;
  readonly status: 'starting' | 'running' | 'failed' | 'stopped';
  readonly position: { readonly commit: string; readonly prepare: string };
  readonly eventsHandled: number;
  /** How far the head of the log is ahead (PostgreSQL: events; EventStoreDB: log bytes); 0 when caught up. */
  readonly lag: number;
  readonly error: string | null;
}

interface Running {
  readonly projection: Projection;
  readonly handles: ReadonlySet<string>;
  status: ProjectionStatus['status'];
  position: LogPosition;
  /** The checkpoint as this runner last wrote or read it: what a reset elsewhere is detected against. */
  stored: LogPosition;
  /** Events passed since `stored`, none of them this projection's (see handleBatch). */
  unsaved: number;
  savedAt: number;
  eventsHandled: number;
  error: string | null;
  subscription?: Subscription;
}

interface Waiter {
  readonly position: LogPosition;
  readonly names: readonly string[] | undefined;
  readonly resolve: () => void;
}

/**
 * Runs each projection on its own catch-up-then-live subscription, from its checkpoint. Each batch
 * is applied and checkpointed in one transaction under a row lock on the checkpoint, and events at
 * or before the stored checkpoint are skipped: so redelivery, a crash between batches, or a second
 * service process never applies an event twice. A projection that throws stops as `failed` (the
 * checkpoint stays before the failing batch) and resumes from that same event on the next start.
 */
export class ProjectionRunner {
  private readonly running = new Map<string, Running>();
  private waiters: Waiter[] = [];

  constructor(
    private readonly deps: {
      readonly store: EventStore;
      readonly db: Knex;
      readonly projections: readonly Projection[];
      readonly decode: EventDecoder;
      readonly logger: Logger;
      readonly batchSize?: number;
    },
  ) {}

  async start(): Promise<void> {
    await Promise.all(this.deps.projections.map((projection) => this.startOne(projection)));
  }

  async stop(): Promise<void> {
    await Promise.all([...this.running.values()].map((r) => this.stopOne(r)));
  }

  /** Empties the projection's tables and replays the log into them. */
  async rebuild(name: string): Promise<void> {
    const projection = this.deps.projections.find((p) => p.name === name);
    if (!projection) throw new Error(`Unknown projection ${name}`);
    const current = this.running.get(name);
    if (current) await this.stopOne(current);
    await this.deps.db.transaction(async (trx) => {
      await lockCheckpoint(trx, name);
      for (const table of projection.tables) await trx.raw('TRUNCATE ??', [table]);
      await resetCheckpoint(trx, name);
    });
    await this.startOne(projection);
  }

  async status(): Promise<ProjectionStatus[]> {
    const head = await this.deps.store.headPosition();
    return [...this.running.values()].map((r) => ({
      name: r.projection.name,
      status: r.status,
      position: { commit: r.position.commit.toString(), prepare: r.position.prepare.toString() },
      eventsHandled: r.eventsHandled,
      lag: comparePositions(r.position, head) >= 0 ? 0 : Number(head.prepare - (r.position.prepare < 0n ? 0n : r.position.prepare)),
      error: r.error,
    }));
  }

  /** Resolves once the named projections (default: all) have handled the log up to `position`. */
  waitFor(position: LogPosition, options: { names?: readonly string[]; timeoutMs?: number } = {}): Promise<void> {
    if (this.reached(position, options.names)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { position, names: options.names, resolve: () => { clearTimeout(timer); resolve(); } };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error('Timed out waiting for projections to catch up'));
      }, options.timeoutMs ?? 10_000);
      this.waiters.push(waiter);
    });
  }

  /** The position every projection has reached: what a query answer reflects. */
  position(names?: readonly string[]): LogPosition {
    const selected = [...this.running.values()].filter((r) => !names || names.includes(r.projection.name));
    return selected.reduce<LogPosition | undefined>((min, r) => (!min || comparePositions(r.position, min) < 0 ? r.position : min), undefined) ?? START;
  }

  private async startOne(projection: Projection): Promise<void> {
    const checkpoint = await readCheckpoint(this.deps.db, projection.name);
    const entry: Running = {
      projection,
      handles: new Set(projection.handles),
      status: 'starting',
      position: checkpoint.position,
      stored: checkpoint.position,
      unsaved: 0,
      savedAt: Date.now(),
      eventsHandled: checkpoint.eventsHandled,
      error: null,
    };
    this.running.set(projection.name, entry);
    if (checkpoint.status === 'failed') this.deps.logger.warn({ projection: projection.name, lastError: checkpoint.lastError }, 'resuming a projection that failed before');
    entry.subscription = this.deps.store.subscribe((batch) => this.handleBatch(entry, batch), {
      after: checkpoint.position,
      batchSize: this.deps.batchSize ?? DEFAULT_BATCH_SIZE,
    });
    entry.status = 'running';
    entry.subscription.done.then(
      () => {
        if (entry.status !== 'failed') entry.status = 'stopped';
      },
      (error: unknown) => {
        if (error instanceof CheckpointMovedBack && this.running.get(projection.name) === entry) {
          this.deps.logger.info({ projection: projection.name }, 'checkpoint reset elsewhere (a rebuild); following it from there');
          void this.startOne(projection).catch((restartError: unknown) => this.fail(entry, restartError));
          return;
        }
        this.fail(entry, error);
      },
    );
  }

  private async stopOne(entry: Running): Promise<void> {
    const subscription = entry.subscription;
    entry.subscription = undefined;
    if (entry.status !== 'failed') entry.status = 'stopped';
    await subscription?.close();
    await subscription?.done.catch(() => undefined);
  }

  /**
   * Applies a batch and moves the checkpoint, in one transaction. A batch with none of this
   * projection's events costs no database work: its checkpoint is written with the next batch that
   * has some, or once enough events or time went by — replaying such events after a crash is a no-op.
   */
  private async handleBatch(entry: Running, batch: readonly RecordedEvent[]): Promise<void> {
    const { projection, handles } = entry;
    const last = batch[batch.length - 1];
    if (!last) return;
    const mine = batch.filter((e) => handles.has(e.type));
    if (mine.length === 0 && entry.unsaved + batch.length < LAZY_CHECKPOINT_EVENTS && Date.now() - entry.savedAt < LAZY_CHECKPOINT_MS) {
      entry.unsaved += batch.length;
      entry.eventsHandled += batch.length;
      entry.position = last.position;
      this.wakeWaiters();
      return;
    }
    await this.deps.db.transaction(async (trx) => {
      const checkpoint = await lockCheckpoint(trx, projection.name);
      // Behind what this runner last wrote: another process reset it to rebuild. Applying this batch
      // would jump the checkpoint past events the rebuild has not replayed yet.
      if (comparePositions(checkpoint.position, entry.stored) < 0) throw new CheckpointMovedBack();
      const fresh = mine.filter((e) => comparePositions(e.position, checkpoint.position) > 0);
      const relevant: ProjectedEvent[] = [];
      for (const recorded of fresh) {
        const event = this.deps.decode(recorded);
        if (!event) continue;
        relevant.push({
          event,
          streamId: recorded.streamId,
          streamRevision: recorded.streamRevision,
          position: recorded.position,
          metadata: recorded.metadata,
          recordedAt: recorded.recordedAt,
        });
      }
      if (relevant.length > 0) await projection.apply(trx, relevant);
      // Another process may already be further: never move the stored checkpoint back.
      const next = comparePositions(last.position, checkpoint.position) > 0 ? last.position : checkpoint.position;
      await advanceCheckpoint(trx, projection.name, next, entry.unsaved + batch.length);
      entry.stored = next;
    });
    entry.eventsHandled += batch.length;
    entry.unsaved = 0;
    entry.savedAt = Date.now();
    entry.position = last.position;
    this.wakeWaiters();
  }

  private fail(entry: Running, error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    entry.status = 'failed';
    entry.error = message;
    this.deps.logger.error({ projection: entry.projection.name, err: error, position: entry.position }, 'projection stopped on an event it could not handle');
    void markFailed(this.deps.db, entry.projection.name, message).catch(() => undefined);
  }

  private reached(position: LogPosition, names: readonly string[] | undefined): boolean {
    // A failed or stopped projection will not move: waiting for it would only stall every writer.
    return [...this.running.values()]
      .filter((r) => (!names || names.includes(r.projection.name)) && r.status !== 'failed' && r.status !== 'stopped')
      .every((r) => comparePositions(r.position, position) >= 0);
  }

  private wakeWaiters(): void {
    if (this.waiters.length === 0) return;
    const still: Waiter[] = [];
    for (const waiter of this.waiters) {
      if (this.reached(waiter.position, waiter.names)) waiter.resolve();
      else still.push(waiter);
    }
    this.waiters = still;
  }
}
