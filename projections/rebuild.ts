import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { comparePositions, START, type EventStore, type LogPosition } from '../infra/event-store/event-store.js';
import { versionOf, type EventDecoder, type Projection } from './projection.js';
import { acquireRebuildLock } from './rebuild-lock.js';
import { Replay, type Start } from './rebuild-replay.js';
import { createStagingTables, dropSchemas, finishTables, stagingMatchesLive, stagingPlan, type StagingPlan } from './rebuild-tables.js';

export { RebuildStopped } from './rebuild-replay.js';

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

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
