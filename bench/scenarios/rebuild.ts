import pino from 'pino';
import { START, type LogPosition } from '../../infra/event-store/event-store.js';
import { PostgresEventStore } from '../../infra/event-store/postgres-event-store.js';
import { createKnex } from '../../infra/postgres/knex.js';
import { ProjectionRunner } from '../../projections/projection-runner.js';
import { query1 } from '../lib/cluster.js';
import { sized, type BenchContext } from '../lib/context.js';
import { cpuMeter } from '../lib/cpu.js';
import { therapistStreamOf } from '../lib/events.js';
import { busyStore } from '../lib/history.js';
import { loadProjections } from '../lib/projections.js';
import { judged, type Figure, type ScenarioResult } from '../lib/report.js';
import { appendStreams, openSeedStore, type StreamWrite } from '../lib/seed.js';
import { round, timed } from '../lib/stats.js';

const GOAL = 0.4;
/** The page the projection runner's subscriptions read (ProjectionRunner's default batch). */
const PAGE = 1000;
/** A rebuild's page (rebuild.ts's default batch). */
const REPLAY_PAGE = 10_000;

/**
 * Scenario 4: rebuild each projection from a store of a million events (bookings and sessions of
 * 2,000 practices and their patients), against reading the same log through the same adapter
 * without handling it. Each rebuild is the service's blue/green one, whole: replay into fresh
 * tables, their indexes and statistics, the switch, the old tables dropped (issue 15's goal: the
 * slowest at ≥ 0.4 of the raw read). The rebuilt store is kept as `big` for scenario 6.
 */
export async function rebuildScenario(ctx: BenchContext): Promise<ScenarioResult[]> {
  const target = sized(ctx, 1_000_000);
  const url = await ctx.cluster.createDatabase('big');
  const seed = await openSeedStore(url);
  const seeded = await timed(async () => {
    try {
      const writes: Iterable<StreamWrite> = busyStore(target, sized(ctx, 2000), Date.now());
      let count = await appendStreams(seed.store, writes);
      // Scenario 1's therapist too, so scenario 6 can query the same calendar in a small and a big store.
      if (ctx.queried) count += await appendStreams(seed.store, [{ stream: therapistStreamOf(ctx.queried.therapist), events: ctx.queried.events }]);
      return count;
    } finally {
      await seed.close();
    }
  });
  await query1(url, 'VACUUM ANALYZE event_store.events');
  const events = Number(await query1(url, 'SELECT count(*) FROM event_store.events'));
  ctx.log(`  seeded ${events} events in ${round(seeded.ms / 1000, 1)} s`);

  const store = await PostgresEventStore.create(url);
  const db = createKnex(url, 10);
  const figures: Record<string, Figure> = { events, seedSec: round(seeded.ms / 1000, 1), pageSize: PAGE };
  const results: ScenarioResult[] = [];
  try {
    // Best of two passes: the first also warms the OS cache the rebuilds then read from.
    const reads = [await readEverything(store)];
    const stopRead = cpuMeter(process.pid, ctx.cluster.postmasterPid());
    reads.push(await readEverything(store));
    const readCpu = stopRead();
    figures.rawReadRunnerCpuSec = round(readCpu.serviceMs / 1000, 1);
    figures.rawReadPostgresCpuSec = round(readCpu.postgresMs / 1000, 1);
    const readMs = Math.min(...reads.map((r) => r.ms));
    const readRate = events / (readMs / 1000);
    figures.rawReadEventsPerSec = Math.round(readRate);
    figures.rawReadSec = round(readMs / 1000, 2);
    ctx.log(`  raw read: ${Math.round(readRate)} events/s`);

    const { projections, decode } = await loadProjections();
    const runner = new ProjectionRunner({ store, db, projections, decode, logger: pino({ level: 'silent' }) });
    const head = await store.headPosition();
    const timeoutMs = (ctx.quick ? 60 : 600) * 1000;
    let totalMs = 0;
    let slowest = Infinity;
    let slowestName = '';
    try {
      for (const projection of projections) {
        const stop = cpuMeter(process.pid, ctx.cluster.postmasterPid());
        const { ms } = await timed(async () => {
          await runner.rebuild(projection.name);
          await runner.waitFor(head, { names: [projection.name], timeoutMs });
        });
        const cpu = stop();
        figures[`${projection.name}RunnerCpuSec`] = round(cpu.serviceMs / 1000, 1);
        figures[`${projection.name}PostgresCpuSec`] = round(cpu.postgresMs / 1000, 1);
        totalMs += ms;
        const rate = events / (ms / 1000);
        if (rate < slowest) [slowest, slowestName] = [rate, projection.name];
        figures[`${projection.name}EventsPerSec`] = Math.round(rate);
        figures[`${projection.name}Sec`] = round(ms / 1000, 2);
        figures[`${projection.name}Ratio`] = round(rate / readRate, 3);
        ctx.log(`  rebuild ${projection.name}: ${Math.round(rate)} events/s`);
      }
    } finally {
      await runner.stop();
    }
    // What the slowest one's replay reads (its event types, lean), read alone: how much of its time is the reading.
    const ownRead = await replayRead(store, projections.find((p) => p.name === slowestName)?.handles ?? []);
    figures.slowestOwnReadEventsPerSec = Math.round(events / (ownRead / 1000));
    figures.slowestOwnReadRatio = round(slowest / (events / (ownRead / 1000)), 3);
    figures.allProjectionsSec = round(totalMs / 1000, 1);
    figures.allProjectionsEventsPerSec = Math.round(events / (totalMs / 1000));
    figures.slowestEventsPerSec = Math.round(slowest);
    const perProjection = projections.map((p) => `${p.name} ${String(figures[`${p.name}EventsPerSec`])}`).join(', ');
    results.push({
      name: '4. projection rebuild',
      status: 'ok',
      ...judged(slowest / readRate, GOAL, 'atLeast'),
      summary: `${events} events; raw read ${Math.round(readRate)} ev/s; rebuild ev/s: ${perProjection}; all of them one after the other ${round(totalMs / 1000, 1)} s; ${slowestName}'s own replay read alone ${String(figures.slowestOwnReadEventsPerSec)} ev/s`,
      figures,
    });
  } finally {
    await store.close();
    await db.destroy();
  }
  ctx.databases.set('big', url);
  return results;
}

/** Pages through a replay's read of the log (some event types, lean) as a rebuild does, handling nothing; ms. */
async function replayRead(store: PostgresEventStore, types: readonly string[]): Promise<number> {
  const { ms } = await timed(async () => {
    let after: LogPosition = START;
    for (let end = false; !end; ) {
      const page = await store.readForReplay({ after, maxCount: REPLAY_PAGE, types });
      after = page.through;
      end = page.end;
    }
  });
  return ms;
}

/** Pages through the whole log as a subscription would, handling nothing. */
async function readEverything(store: PostgresEventStore): Promise<{ count: number; ms: number }> {
  const { value, ms } = await timed(async () => {
    let after: LogPosition = START;
    let count = 0;
    for (let page = await store.readAll({ after, maxCount: PAGE }); page.length > 0; page = await store.readAll({ after, maxCount: PAGE })) {
      count += page.length;
      after = page[page.length - 1]?.position ?? after;
    }
    return count;
  });
  return { count: value, ms };
}
