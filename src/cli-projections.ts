import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { INTEGRATIONS_REACTOR } from '../integrations/integrations-reactor.js';
import { comparePositions, type LogPosition } from '../infra/event-store/event-store.js';
import { readCheckpoint } from '../projections/checkpoint-store.js';
import { versionOf } from '../projections/projection.js';
import { statusOf } from '../projections/projection-status.js';
import { discardRebuild, type RebuildProgress } from '../projections/rebuild.js';
import { rebuildUnderWay } from '../projections/rebuild-lock.js';
import { CliInputError } from './cli-access.js';
import type { Services } from './services.js';

/** `projections status | rebuild <name|all> [--batch-size n] | reset <name>`; undefined for another action. */
export async function projectionsCommand(services: Services, action: string | undefined, args: readonly string[]): Promise<unknown> {
  if (action === 'status') return { projections: await projectionsStatus(services) };
  if (action === 'rebuild') return rebuildCommand(services, args);
  if (action === 'reset') {
    const projection = services.projections.definition(args[0] ?? '');
    if (!projection) throw new CliInputError(`Give a projection to reset: one of ${services.projections.names().join(', ')}`);
    // The live tables stay as they are: only an unfinished rebuild (its fresh tables, its progress) goes.
    return { reset: projection.name, discardedRebuild: await discardRebuild(services.db, projection) };
  }
  return undefined;
}

interface RebuildRow {
  name: string;
  version: number;
  position_commit: string;
  position_prepare: string;
  events_handled: string;
  started_at: Date;
  updated_at: Date;
}

/**
 * Each projection's and the integrations reactor's place as stored (position, lag, state, last
 * failure; a process that runs them keeps those current), with the code version against the live
 * tables' one and any rebuild under way or interrupted.
 */
async function projectionsStatus(services: Services) {
  const head = await services.store.headPosition();
  const rebuilds = new Map(((await services.db('projections.rebuilds').select()) as RebuildRow[]).map((r) => [r.name, r]));
  const projections = await Promise.all(
    services.projections.names().map(async (name) => {
      const checkpoint = await readCheckpoint(services.db, name);
      const { runsHere: _runsHere, ...figures } = statusOf(name, checkpoint, head, false);
      const rebuild = rebuilds.get(name);
      const code = versionOf(services.projections.definition(name) ?? { name, handles: [], tables: [], apply: () => Promise.resolve() });
      return {
        kind: 'projection',
        ...figures,
        state: checkpoint.status === 'failed' ? 'failed' : rebuild ? 'rebuilding' : 'running',
        lastFailure: checkpoint.lastError,
        version: { live: checkpoint.version, code },
        rebuild: rebuild
          ? {
              version: rebuild.version,
              // Interrupted: no process holds it now; `projections rebuild` resumes it, `projections reset` discards it.
              underWay: await rebuildUnderWay(services.db, name),
              ...lagOf({ commit: BigInt(rebuild.position_commit), prepare: BigInt(rebuild.position_prepare) }, head),
              eventsHandled: Number(rebuild.events_handled),
              startedAt: rebuild.started_at,
              updatedAt: rebuild.updated_at,
            }
          : null,
      };
    }),
  );
  const reactor = await readCheckpoint(services.db, INTEGRATIONS_REACTOR);
  const { runsHere: _here, ...reactorFigures } = statusOf(INTEGRATIONS_REACTOR, reactor, head, false);
  return [...projections, { kind: 'reactor', ...reactorFigures, state: reactor.status, lastFailure: reactor.lastError }];
}

function lagOf(position: LogPosition, head: LogPosition) {
  const lag = comparePositions(position, head) >= 0 ? 0 : Number(head.prepare - (position.prepare < 0n ? 0n : position.prepare));
  return { position: { commit: position.commit.toString(), prepare: position.prepare.toString() }, lag };
}

async function rebuildCommand(services: Services, args: readonly string[]) {
  const { values, positionals } = parseArgs({ args: [...args], options: { 'batch-size': { type: 'string' } }, allowPositionals: true, strict: true });
  const known = services.projections.names();
  const asked = positionals[0];
  if (!asked || (asked !== 'all' && !known.includes(asked))) throw new CliInputError(`Give a projection to rebuild: all, or one of ${known.join(', ')}`);
  const batchSize = values['batch-size'] === undefined ? undefined : Number(values['batch-size']);
  if (batchSize !== undefined && !(Number.isInteger(batchSize) && batchSize >= 1 && batchSize <= 100_000)) throw new CliInputError('--batch-size must be a whole number from 1 to 100000');
  const rebuilt = [];
  for (const name of asked === 'all' ? known : [asked]) {
    const display = process.stderr.isTTY ? barDisplay(name) : lineDisplay(name);
    const startedAt = Date.now();
    try {
      const outcome = await services.projections.rebuild(name, { ...(batchSize ? { batchSize } : {}), onProgress: display.update });
      rebuilt.push({ name, version: outcome.version, eventsHandled: outcome.eventsHandled, resumed: outcome.resumedFrom !== null, seconds: Math.round((Date.now() - startedAt) / 100) / 10 });
    } finally {
      display.stop();
    }
  }
  return { rebuilt };
}

interface Display {
  readonly update: (progress: RebuildProgress) => void;
  readonly stop: () => void;
}

/** Where the fresh tables stand within the log (its units: events in PostgreSQL, bytes in EventStoreDB). */
function share(progress: RebuildProgress): { value: number; total: number } {
  const total = Math.max(1, Number(progress.head.prepare));
  return { value: Math.min(total, Math.max(0, Number(progress.position.prepare))), total };
}

/** On a terminal: one bar per projection, its events/s and the ETA (cli-progress's, from the bar's advance through the log). */
function barDisplay(name: string): Display {
  const bar = new cliProgress.SingleBar(
    { format: `${name.padEnd(14)} [{bar}] {percentage}% | {events} events | {rate} ev/s | ETA {eta_formatted} | {phase}`, hideCursor: true, etaBuffer: 20, stream: process.stderr },
    cliProgress.Presets.shades_classic,
  );
  const startedAt = Date.now();
  let started = false;
  return {
    update: (progress) => {
      const { value, total } = share(progress);
      const payload = { events: progress.eventsRead, rate: rateOf(progress.eventsRead, startedAt), phase: progress.phase };
      if (!started) {
        bar.start(total, value, payload);
        started = true;
      } else {
        bar.setTotal(Math.max(total, value));
        bar.update(value, payload);
      }
    },
    stop: () => bar.stop(),
  };
}

/** Anywhere else (a log, a pipe): a plain line at most every second, and at every change of phase. */
function lineDisplay(name: string): Display {
  const startedAt = Date.now();
  let lastAt = 0;
  let lastPhase = '';
  let from: number | undefined;
  return {
    update: (progress) => {
      const now = Date.now();
      const { value, total } = share(progress);
      from ??= value;
      if (progress.phase === lastPhase && now - lastAt < 1000) return;
      lastAt = now;
      lastPhase = progress.phase;
      const rate = rateOf(progress.eventsRead, startedAt);
      // In the log's units, like `value`: the replay passes over other projections' events without counting them.
      const advance = rateOf(value - from, startedAt);
      const remaining = advance > 0 && value < total && progress.phase === 'replaying' ? `, ETA ${Math.ceil((total - value) / advance)} s` : '';
      const resumed = progress.resumedFrom ? ', resumed' : '';
      process.stderr.write(`rebuild ${name}: ${progress.phase} ${Math.floor((100 * value) / total)}% (${progress.eventsRead} events, ${rate} ev/s${remaining}${resumed})\n`);
    },
    stop: () => undefined,
  };
}

function rateOf(events: number, since: number): number {
  const seconds = (Date.now() - since) / 1000;
  return seconds > 0 ? Math.round(events / seconds) : 0;
}
