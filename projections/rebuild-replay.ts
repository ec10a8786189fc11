import { comparePositions, type LogPosition } from '../infra/event-store/event-store.js';
import { readForReplay } from '../infra/event-store/replay-read.js';
import { lockCheckpoint, switchCheckpoint } from './checkpoint-store.js';
import { versionOf, type ProjectedEvent, type Projection, type TableTarget } from './projection.js';
import type { RebuildDeps, RebuildOptions, RebuildOutcome, RebuildProgress } from './rebuild.js';
import { stagingMatchesLive, swapTables, type StagingPlan } from './rebuild-tables.js';

/** A rebuild stopped between two batches (a stopping service): it resumes from where it stood. */
export class RebuildStopped extends Error {
  override readonly name = 'RebuildStopped';
}

const DEFAULT_BATCH = 10_000;
const SWITCH_ATTEMPTS = 20;
/** How long the switch waits for a table lock before it lets the queries queued behind it go, and tries again. */
const SWITCH_LOCK_TIMEOUT = '2s';

/** Where a run takes up the replay: afresh, or an interrupted rebuild's position. */
export interface Start {
  readonly position: LogPosition;
  readonly eventsHandled: number;
  readonly resumedFrom: LogPosition | null;
}

/**
 * One run of a rebuild: the replay into the fresh tables, page by page, and the switch that puts them
 * in place (see rebuild.ts for the whole of it).
 */
export class Replay {
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
