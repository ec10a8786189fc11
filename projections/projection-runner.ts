import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { comparePositions, START, type EventStore, type LogPosition, type RecordedEvent, type Subscription, type SubscriptionHealth } from '../infra/event-store/event-store.js';
import { describeError } from '../infra/logging/safe-error.js';
import { advanceCheckpoint, lockCheckpoint, markFailed, readCheckpoint, recordVersion, type Checkpoint } from './checkpoint-store.js';
import { LIVE_TABLES, versionOf, type EventDecoder, type ProjectedEvent, type Projection } from './projection.js';
import { statusOf, type ProjectionStatus } from './projection-status.js';
import { PositionWaiters } from './position-waiters.js';
import { rebuildBlueGreen, RebuildStopped, type RebuildOptions, type RebuildOutcome } from './rebuild.js';
import { RebuildBusy } from './rebuild-lock.js';

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
  /** Events of its types it has applied (others pass by uncounted): the same whether built live or by a rebuild. */
  eventsHandled: number;
  error: string | null;
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
  private readonly waiters = new PositionWaiters(() => [...this.running.values()].map((r) => ({ name: r.projection.name, status: r.status, position: r.position })));
  private reader: Subscription | undefined;
  /** Rebuilds this runner started on its own (a projection whose code version went up), stopped with it. */
  private background: Promise<void>[] = [];
  private stopping = new AbortController();

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

  /**
   * Takes every projection up from its checkpoint. One whose code version is higher than the one its
   * live tables were built with is rebuilt blue/green in the background while those keep serving
   * (and keep following the log); a lower one (an older process during a rolling deploy) just follows.
   */
  async start(): Promise<void> {
    this.stopping = new AbortController();
    const checkpoints = await Promise.all(this.deps.projections.map((projection) => this.load(projection)));
    this.startReader();
    for (const [i, projection] of this.deps.projections.entries()) {
      const stored = checkpoints[i];
      if (!stored) continue;
      const version = versionOf(projection);
      if (comparePositions(stored.position, START) <= 0) {
        if (stored.version !== version) await recordVersion(this.deps.db, projection.name, version);
      } else if (stored.version < version && projection.tables.length > 0) {
        this.deps.logger.info({ projection: projection.name, from: stored.version, to: version }, 'a new version of the projection: rebuilding it blue/green while the current tables serve');
        this.background.push(this.rebuild(projection.name).then(() => undefined, (error: unknown) => this.backgroundFailed(projection.name, error)));
      } else if (stored.version > version) {
        this.deps.logger.warn({ projection: projection.name, live: stored.version, code: version }, 'the live tables were built by a newer version of this projection; following them');
      }
    }
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await Promise.all(this.background);
    this.background = [];
    await this.stopReader();
    for (const entry of this.running.values()) if (entry.status !== 'failed') entry.status = 'stopped';
  }

  /**
   * Rebuilds a projection blue/green (rebuild.ts): the log is replayed into fresh tables while the
   * live ones keep serving and this runner keeps applying new events to them, then the fresh ones are
   * switched in at once. Resolves after the switch; this runner's own place follows it.
   */
  async rebuild(name: string, options: RebuildOptions = {}): Promise<RebuildOutcome> {
    const projection = this.deps.projections.find((p) => p.name === name);
    if (!projection) throw new Error(`Unknown projection ${name}`);
    const signal = options.signal ? AbortSignal.any([options.signal, this.stopping.signal]) : this.stopping.signal;
    const outcome = await rebuildBlueGreen(this.deps, projection, { ...options, signal });
    const entry = this.running.get(name);
    if (entry && comparePositions(entry.position, outcome.position) < 0) {
      // What the fresh tables already hold: the next batch starts past it (the checkpoint says so too).
      entry.position = outcome.position;
      entry.stored = outcome.position;
      this.waiters.wake();
    }
    return outcome;
  }

  /** The projections this runner knows, by name (the CLI's `rebuild all`). */
  names(): readonly string[] {
    return this.deps.projections.map((p) => p.name);
  }

  definition(name: string): Projection | undefined {
    return this.deps.projections.find((p) => p.name === name);
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
    return this.waiters.waitFor(position, options);
  }

  private backgroundFailed(name: string, error: unknown): void {
    if (error instanceof RebuildStopped) this.deps.logger.info({ projection: name }, 'rebuild stopped with the service; it resumes at the next start');
    else if (error instanceof RebuildBusy) this.deps.logger.info({ projection: name }, 'another process is rebuilding the projection');
    else this.deps.logger.error({ projection: name, err: error }, 'the rebuild of a new projection version failed; the current tables keep serving');
  }

  /** (Re)reads a projection's checkpoint and takes it up from there. */
  private async load(projection: Projection): Promise<Checkpoint> {
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
    return checkpoint;
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
      entry.position = last.position;
      this.waiters.wake();
      return;
    }
    let applied = 0;
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
        relevant.push({ event, streamId: recorded.streamId, streamRevision: recorded.streamRevision, position: recorded.position });
      }
      if (relevant.length > 0) await projection.apply(trx, relevant, LIVE_TABLES);
      // Another process may already be further: never move the stored checkpoint back.
      const next = comparePositions(last.position, checkpoint.position) > 0 ? last.position : checkpoint.position;
      await advanceCheckpoint(trx, projection.name, next, fresh.length);
      entry.stored = next;
      applied = fresh.length;
    });
    entry.eventsHandled += applied;
    entry.unsaved = 0;
    entry.savedAt = Date.now();
    entry.position = last.position;
    this.waiters.wake();
  }

  private fail(entry: Running, error: unknown): void {
    const message = describeError(error);
    entry.status = 'failed';
    entry.error = message;
    this.deps.logger.error({ projection: entry.projection.name, err: error, position: entry.position }, 'projection stopped on an event it could not handle');
    void markFailed(this.deps.db, entry.projection.name, message).catch(() => undefined);
  }

}
