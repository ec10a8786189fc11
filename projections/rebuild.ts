import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { comparePositions, START, type EventStore, type LogPosition } from '../infra/event-store/event-store.js';
import { readForReplay } from '../infra/event-store/replay-read.js';
import { lockCheckpoint, switchCheckpoint } from './checkpoint-store.js';
import { versionOf, type EventDecoder, type ProjectedEvent, type Projection, type TableTarget } from './projection.js';
import { createStagingTables, dropSchemas, finishTables, stagingMatchesLive, stagingPlan, swapTables, type StagingPlan } from './rebuild-tables.js';
import { acquireRebuildLock } from './rebuild-lock.js';

/*
 * Blue/green rebuilds. The whole log is replayed into fresh copies of a projection's tables, in a
 * schema of their own (`rebuild_{name}`), while the API keeps reading the live ones and the live
 * runner (of this process or any other) keeps applying new events to them. Once the copies have
 * caught up, one transaction takes the projection's checkpoint lock — which every runner takes before
 * it writes a batch, so from there no event reaches the live tables — applies what the log gained
 * meanwhile to the copies, moves each live table out of its schema and its copy in under the same
 * name (`ALTER TABLE … SET SCHEMA`), and sets the checkpoint to the copies' position and version.
 * The replaced tables are dropped after that commit.
 *
 * Why a swap of names rather than versioned names in the queries: `read.x` is the analysts'
 * documented interface, and the API's prepared statements, read.public_booking(), the statistics
 * function and the grants all name it. PostgreSQL resolves a name when a statement is (re)planned
 * and invalidates every cached plan of a relation that is altered, so after the switch each
 * prepared statement, in every process on the database, re-plans against the new table by itself;
 * nothing has to follow a moving name. A query never sees a half-built table: until the commit the
 * name is the old, complete table, after it the new, complete one; one running across the switch
 * holds its lock on the old table, and the switch waits for it (with a lock timeout, then retries, so
 * a long analyst query cannot queue every API read behind the switch).
 *
 * Progress is committed with the rows it wrote (projections.rebuilds), so a rebuild killed halfway
 * resumes where it stopped, or — another version, other tables, a migration that changed their
 * shape — is discarded and starts over; `projections reset` discards one by hand. One process
 * rebuilds a projection at a time (a session advisory lock, released if the process dies).
 */

export interface RebuildProgress {
  readonly name: string;
  readonly phase: 'replaying' | 'indexing' | 'switching' | 'switched';
  /** Events of its types this run has replayed (resumed ones not included). */
  readonly eventsRead: number;
  /** Where the fresh tables stand, and the head of the log when the run began. */
  readonly position: LogPosition;
  readonly head: LogPosition;
  /** Where an interrupted rebuild was taken up from; null when it started afresh. */
  readonly resumedFrom: LogPosition | null;
}

export interface RebuildOptions {
  /** Events per transaction while replaying (default 10,000). */
  readonly batchSize?: number;
  readonly onProgress?: (progress: RebuildProgress) => void;
  /** Stops between two batches, leaving the rebuild to be resumed (a stopping service). */
  readonly signal?: AbortSignal;
}

export interface RebuildDeps {
  readonly store: EventStore;
  readonly db: Knex;
  readonly decode: EventDecoder;
  readonly logger: Logger;
}

export interface RebuildOutcome {
  readonly name: string;
  readonly version: number;
  readonly position: LogPosition;
  readonly eventsHandled: number;
  readonly resumedFrom: LogPosition | null;
}

export class RebuildStopped extends Error {
  override readonly name = 'RebuildStopped';
}

const DEFAULT_BATCH = 10_000;
const SWITCH_ATTEMPTS = 20;
/** How long the switch waits for a table lock before it lets the queries queued behind it go, and tries again. */
const SWITCH_LOCK_TIMEOUT = '2s';

interface RebuildRow {
  version: number;
  staging_schema: string;
  tables: string[];
  position_commit: string;
  position_prepare: string;
  events_handled: string;
}

/** Replays the log into fresh tables and switches them in; resolves once the switch has committed. */
export async function rebuildBlueGreen(deps: RebuildDeps, projection: Projection, options: RebuildOptions = {}): Promise<RebuildOutcome> {
  if (projection.tables.length === 0) throw new Error(`${projection.name} keeps no tables of its own to rebuild`);
  const lock = await acquireRebuildLock(deps.db, projection.name);
  try {
    const plan = stagingPlan(projection.name, projection.tables);
    const start = await prepare(deps.db, projection, plan);
    if (start.resumedFrom) deps.logger.info({ projection: projection.name, eventsHandled: start.eventsHandled }, 'resuming an interrupted rebuild');
    const run = new Replay(deps, projection, plan, start, options, await deps.store.headPosition());
    await run.catchUp();
    run.report('indexing');
    await finishTables(deps.db, plan);
    await run.catchUp();
    const outcome = await run.switchIn();
    await dropSchemas(deps.db, plan.retired, plan.schema);
    run.report('switched');
    return outcome;
  } finally {
    await lock.release();
  }
}

/** Throws away an unfinished rebuild: its fresh tables and its progress. The live tables are untouched. */
export async function discardRebuild(db: Knex, projection: Projection): Promise<boolean> {
  const lock = await acquireRebuildLock(db, projection.name);
  try {
    const plan = stagingPlan(projection.name, projection.tables);
    const deleted = await db('projections.rebuilds').where({ name: projection.name }).delete();
    await dropSchemas(db, plan.schema, plan.retired);
    return deleted > 0;
  } finally {
    await lock.release();
  }
}

interface Start {
  readonly position: LogPosition;
  readonly eventsHandled: number;
  readonly resumedFrom: LogPosition | null;
}

/** Takes up the interrupted rebuild of this very version and these tables, or starts afresh. */
async function prepare(db: Knex, projection: Projection, plan: StagingPlan): Promise<Start> {
  const version = versionOf(projection);
  // A switch whose clean-up was cut short leaves the replaced tables behind: they are nobody's now.
  await dropSchemas(db, plan.retired);
  const row = (await db('projections.rebuilds').where({ name: projection.name }).first()) as RebuildRow | undefined;
  if (row && row.version === version && row.staging_schema === plan.schema && sameList(row.tables, projection.tables) && (await stagingMatchesLive(db, plan))) {
    const position = { commit: BigInt(row.position_commit), prepare: BigInt(row.position_prepare) };
    return { position, eventsHandled: Number(row.events_handled), resumedFrom: comparePositions(position, START) > 0 ? position : null };
  }
  await db.transaction(async (trx) => {
    await createStagingTables(trx, plan);
    await trx('projections.rebuilds').where({ name: projection.name }).delete();
    await trx('projections.rebuilds').insert({ name: projection.name, version, staging_schema: plan.schema, tables: projection.tables });
  });
  return { position: START, eventsHandled: 0, resumedFrom: null };
}

class Replay {
  private position: LogPosition;
  private eventsHandled: number;
  private eventsRead = 0;
  private readonly target: TableTarget;
  private readonly batchSize: number;

  constructor(
    private readonly deps: RebuildDeps,
    private readonly projection: Projection,
    private readonly plan: StagingPlan,
    private readonly start: Start,
    private readonly options: RebuildOptions,
    private readonly head: LogPosition,
  ) {
    this.position = start.position;
    this.eventsHandled = start.eventsHandled;
    const staged = new Map(plan.tables.map((t) => [t.live, t.staged]));
    const target = (table: string): string => {
      const copy = staged.get(table);
      if (!copy) throw new Error(`${projection.name} writes ${table}, which it does not declare among its tables`);
      return copy;
    };
    this.target = Object.assign(target, { fresh: true });
    this.batchSize = options.batchSize ?? DEFAULT_BATCH;
  }

  report(phase: RebuildProgress['phase']): void {
    this.options.onProgress?.({ name: this.projection.name, phase, eventsRead: this.eventsRead, position: this.position, head: this.head, resumedFrom: this.start.resumedFrom });
  }

  /**
   * Replays to the head, one transaction per page, each moving the rebuild's position with the rows
   * it wrote. The next page is read (and its events decoded) while this one is written. Pages hold
   * the projection's own event types only, read lean (see readForReplay).
   */
  async catchUp(): Promise<void> {
    let next = this.read(this.position);
    for (;;) {
      const page = await next;
      if (this.options.signal?.aborted) throw new RebuildStopped(`The rebuild of ${this.projection.name} was stopped; it resumes from where it stood`);
      if (!page.end) {
        next = this.read(page.through);
        // Its failure is met when it is awaited; one left behind by a failed batch must not go unhandled.
        next.catch(() => undefined);
      }
      if (page.projected.length > 0) {
        await this.deps.db.transaction(async (trx) => {
          // Each commit carries its own progress, so one lost in a crash is replayed whole, never half.
          await trx.raw('SET LOCAL synchronous_commit = off');
          await this.projection.apply(trx, page.projected, this.target);
          await trx('projections.rebuilds')
            .where({ name: this.projection.name })
            .update({ position_commit: page.through.commit.toString(), position_prepare: page.through.prepare.toString(), events_handled: this.eventsHandled + page.projected.length, updated_at: trx.fn.now() });
        });
      }
      // A page with nothing of ours moves only this run's place: a resumed run passes over those events again.
      this.position = page.through;
      this.eventsHandled += page.projected.length;
      this.eventsRead += page.projected.length;
      this.report('replaying');
      if (page.end) return;
    }
  }

  /**
   * The switch: under the projection's checkpoint lock no runner writes its live tables, so the fresh
   * ones are brought to the log as it stands (past the live checkpoint: the live runner read below
   * the same horizon) and swapped in, in one transaction. A lock timeout rolls it all back, the
   * queries waiting behind it go on, and it is tried again.
   */
  async switchIn(): Promise<RebuildOutcome> {
    this.report('switching');
    for (let attempt = 1; ; attempt++) {
      const before = { position: this.position, eventsHandled: this.eventsHandled };
      try {
        return await this.deps.db.transaction(async (trx) => {
          await trx.raw(`SET LOCAL lock_timeout = '${SWITCH_LOCK_TIMEOUT}'`);
          const live = await lockCheckpoint(trx, this.projection.name);
          for (let end = false; !end; ) {
            const page = await this.read(this.position);
            if (page.projected.length > 0) await this.projection.apply(trx, page.projected, this.target);
            this.position = page.through;
            this.eventsHandled += page.projected.length;
            end = page.end;
          }
          if (comparePositions(this.position, live.position) < 0) throw new SwitchNotReady();
          if (!(await stagingMatchesLive(trx, this.plan))) throw new Error(`The tables of ${this.projection.name} changed shape during its rebuild; run it again`);
          await swapTables(trx, this.plan);
          await switchCheckpoint(trx, this.projection.name, this.position, this.eventsHandled, versionOf(this.projection));
          await trx('projections.rebuilds').where({ name: this.projection.name }).delete();
          return { name: this.projection.name, version: versionOf(this.projection), position: this.position, eventsHandled: this.eventsHandled, resumedFrom: this.start.resumedFrom };
        });
      } catch (error) {
        ({ position: this.position, eventsHandled: this.eventsHandled } = before);
        const retriable = error instanceof SwitchNotReady || (error as { code?: string }).code === '55P03';
        if (!retriable || attempt >= SWITCH_ATTEMPTS) throw error;
        this.deps.logger.info({ projection: this.projection.name, attempt }, 'switch postponed (tables busy or the log ahead); trying again');
        await new Promise((resolve) => setTimeout(resolve, Math.min(2000, 50 * attempt) + Math.random() * 100));
        await this.catchUp();
      }
    }
  }

  private async read(after: LogPosition): Promise<{ projected: ProjectedEvent[]; through: LogPosition; end: boolean }> {
    const page = await readForReplay(this.deps.store, { after, maxCount: this.batchSize, types: this.projection.handles });
    const projected: ProjectedEvent[] = [];
    for (const r of page.events) {
      const event = this.deps.decode(r);
      if (event) projected.push({ event, streamId: r.streamId, streamRevision: r.streamRevision, position: r.position });
    }
    return { projected, through: page.through, end: page.end };
  }
}

/** The log the switch could read was behind the live checkpoint (should not happen; tried again). */
class SwitchNotReady extends Error {
  override readonly name = 'SwitchNotReady';
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
