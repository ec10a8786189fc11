import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { comparePositions, START, type EventStore, type LogPosition, type RecordedEvent, type Subscription, type SubscriptionHealth } from '../infra/event-store/event-store.js';
import { describeError } from '../infra/logging/safe-error.js';
import { advanceCheckpoint, lockCheckpoint, markFailed, readCheckpoint, resetCheckpoint } from './checkpoint-store.js';
import type { EventDecoder, ProjectedEvent, Projection } from './projection.js';
import { statusOf, type ProjectionStatus } from './projection-status.js';

export type { ProjectionStatus } from './projection-status.js';

/** A projection that sees none of its events writes its checkpoint at least this often. */
const LAZY_CHECKPOINT_EVENTS = 10_000;
const LAZY_CHECKPOINT_MS = 5_000;

/** Events per transaction: large enough that a rebuild is not paid in commits, small enough to keep live lag low. */
const DEFAULT_BATCH_SIZE = 2000;

/** The stored checkpoint went back behind this runner's position: resubscribe from it. */
class CheckpointMovedBack extends Error {
  override readonly name = 'CheckpointMovedBack';
  constructor(readonly names: readonly string[] = []) {
    super(`Checkpoint reset elsewhere: ${names.join(', ')}`);
  }
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
}

interface Waiter {
  readonly position: LogPosition;
  readonly names: readonly string[] | undefined;
  readonly resolve: () => void;
}

/**
 * Runs the projections on one catch-up-then-live subscription (the log is read and paged once for
 * all of them), from the oldest of their checkpoints; each projection takes the part of every batch
 * past its own position. Each projection's part is applied and checkpointed in one transaction under
 * a row lock on its checkpoint, and events at or before the stored checkpoint are skipped: so
 * redelivery, a crash between batches, or a second service process never applies an event twice. A
 * projection that throws stops as `failed` (its checkpoint stays before the failing batch) while the
 * others go on, and it resumes from that same event on the next start.
 */
export class ProjectionRunner {
  private readonly running = new Map<string, Running>();
  private waiters: Waiter[] = [];
  private reader: Subscription | undefined;

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
    await Promise.all(this.deps.projections.map((projection) => this.load(projection)));
    this.startReader();
  }

  async stop(): Promise<void> {
    await this.stopReader();
    for (const entry of this.running.values()) if (entry.status !== 'failed') entry.status = 'stopped';
  }

  /** Empties the projection's tables and replays the log into them (the others keep their place). */
  async rebuild(name: string): Promise<void> {
    const projection = this.deps.projections.find((p) => p.name === name);
    if (!projection) throw new Error(`Unknown projection ${name}`);
    await this.stopReader();
    await this.deps.db.transaction(async (trx) => {
      await lockCheckpoint(trx, name);
      for (const table of projection.tables) await trx.raw('TRUNCATE ??', [table]);
      await resetCheckpoint(trx, name);
    });
    await this.load(projection);
    this.startReader();
  }

  /**
   * Every projection's place: as this runner holds it, or, for one it does not run (the CLI runs
   * none), as its stored checkpoint says.
   */
  async status(): Promise<ProjectionStatus[]> {
    const head = await this.deps.store.headPosition();
    return Promise.all(
      this.deps.projections.map(async ({ name }) => {
        const running = this.running.get(name);
        return running ? statusOf(name, running, head, true) : statusOf(name, await readCheckpoint(this.deps.db, name), head, false);
      }),
    );
  }

  /** Whether the log reader follows the store now (null: none runs here). */
  readerHealth(): SubscriptionHealth | null {
    return this.reader?.health() ?? null;
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

  /** (Re)reads a projection's checkpoint and takes it up from there. */
  private async load(projection: Projection): Promise<void> {
    const checkpoint = await readCheckpoint(this.deps.db, projection.name);
    if (checkpoint.status === 'failed') this.deps.logger.warn({ projection: projection.name, lastError: checkpoint.lastError }, 'resuming a projection that failed before');
    this.running.set(projection.name, {
      projection,
      handles: new Set(projection.handles),
      status: 'running',
      position: checkpoint.position,
      stored: checkpoint.position,
      unsaved: 0,
      savedAt: Date.now(),
      eventsHandled: checkpoint.eventsHandled,
      error: null,
    });
  }

  private startReader(): void {
    const live = [...this.running.values()].filter((e) => e.status === 'running');
    if (live.length === 0) return;
    const from = live.reduce((min, e) => (comparePositions(e.position, min) < 0 ? e.position : min), live[0]?.position ?? START);
    const reader = this.deps.store.subscribe((batch) => this.dispatch(batch), { after: from, batchSize: this.deps.batchSize ?? DEFAULT_BATCH_SIZE });
    this.reader = reader;
    reader.done.then(
      () => undefined,
      (error: unknown) => {
        if (this.reader !== reader) return;
        this.reader = undefined;
        if (error instanceof CheckpointMovedBack) {
          this.deps.logger.info({ projections: error.names }, 'checkpoint reset elsewhere (a rebuild); following it from there');
          void this.resync(error.names);
          return;
        }
        // The store itself failed (not a projection: those fail one by one in dispatch).
        for (const entry of this.running.values()) if (entry.status === 'running') this.fail(entry, error);
      },
    );
  }

  private async stopReader(): Promise<void> {
    const reader = this.reader;
    this.reader = undefined;
    await reader?.close();
  }

  private async resync(names: readonly string[]): Promise<void> {
    try {
      for (const name of names) {
        const projection = this.deps.projections.find((p) => p.name === name);
        if (projection) await this.load(projection);
      }
      this.startReader();
    } catch (error) {
      for (const name of names) {
        const entry = this.running.get(name);
        if (entry) this.fail(entry, error);
      }
    }
  }

  /** Hands each running projection the part of the batch past its own position, all at once. */
  private async dispatch(batch: readonly RecordedEvent[]): Promise<void> {
    const movedBack: string[] = [];
    await Promise.all(
      [...this.running.values()].map(async (entry) => {
        if (entry.status !== 'running') return;
        const part = batch.filter((e) => comparePositions(e.position, entry.position) > 0);
        if (part.length === 0) return;
        try {
          await this.handleBatch(entry, part);
        } catch (error) {
          if (error instanceof CheckpointMovedBack) movedBack.push(entry.projection.name);
          else this.fail(entry, error);
        }
      }),
    );
    if (movedBack.length > 0) throw new CheckpointMovedBack(movedBack);
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
    const message = describeError(error);
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
