import { query1 } from '../lib/cluster.js';
import { sized, type BenchContext } from '../lib/context.js';
import { newTherapist, openCalendar, session, therapistStreamOf, type TherapistSeed } from '../lib/events.js';
import { practiceEvents } from '../lib/history.js';
import { runLoad } from '../lib/load.js';
import type { HttpRequestSpec, LoadResult } from '../lib/load-types.js';
import { availabilityPath } from '../lib/queried-therapist.js';
import { judged, type ScenarioResult } from '../lib/report.js';
import { appendStreams, issueToken, openSeedStore } from '../lib/seed.js';
import { startService } from '../lib/service.js';
import { localDate } from '../lib/slots.js';
import { round, summarize } from '../lib/stats.js';

const COMMANDS = 200;
const QUERIES = 300;
const COMMAND_GOAL = 1.5;
const QUERY_GOAL = 1.2;
const DAY_MS = 86_400_000;

/** Scenario 6: does a command slow down with the length of its stream, and a query with the size of the store? */
export async function historyScenario(ctx: BenchContext): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = [];
  try {
    results.push(await commandLatency(ctx));
  } catch (error) {
    results.push({ name: '6a. history: command latency', status: 'failed', reason: error instanceof Error ? error.message : String(error), figures: {} });
  }
  try {
    results.push(await queryLatency(ctx));
  } catch (error) {
    results.push({ name: '6b. history: availability latency', status: 'failed', reason: error instanceof Error ? error.message : String(error), figures: {} });
  }
  return results;
}

/**
 * The same 200 commands (add an exception, one after the other) on a therapist whose stream holds
 * 100 events and on one whose stream holds 50,000; the first command of each pays the fold of a cold process.
 */
async function commandLatency(ctx: BenchContext): Promise<ScenarioResult> {
  const longLength = sized(ctx, 50_000);
  const url = await ctx.cluster.createDatabase('history');
  const short = newTherapist('short');
  const long = newTherapist('long');
  const nowMs = Date.now();
  const shortEvents = openCalendar(short, nowMs - 90 * DAY_MS);
  for (let i = 0; shortEvents.length < 100; i++) shortEvents.push(...session(nowMs - (i + 1) * DAY_MS, { completed: true }));
  const seed = await openSeedStore(url);
  const tokens = new Map<string, string>();
  try {
    await appendStreams(seed.store, [
      { stream: therapistStreamOf(short), events: shortEvents.slice(0, 100) },
      { stream: therapistStreamOf(long), events: practiceEvents(long, longLength, nowMs) },
    ]);
    for (const t of [short, long]) tokens.set(t.id, await issueToken(seed.pool, t.id));
  } finally {
    await seed.close();
  }
  const lengthOf = async (t: TherapistSeed) => Number(await query1(url, 'SELECT count(*) FROM event_store.events WHERE stream_id = $1', [therapistStreamOf(t)]));
  const lengths = { short: await lengthOf(short), long: await lengthOf(long) };
  ctx.log(`  streams of ${lengths.short} and ${lengths.long} events`);

  const service = await startService(url);
  try {
    await service.caughtUp(ctx.quick ? 60_000 : 240_000);
    const commands = (t: TherapistSeed, from: number, count: number): HttpRequestSpec[] =>
      Array.from({ length: count }, (_, k) => {
        const i = from + k;
        const hour = String(i % 24).padStart(2, '0');
        return {
          method: 'POST',
          path: '/api/availability/exceptions',
          headers: { authorization: `Bearer ${tokens.get(t.id) ?? ''}` },
          body: { date: localDate(1 + (i % 50)), startTime: `${hour}:00`, endTime: `${hour}:30`, reason: `bench ${i}` },
        };
      });
    const run = (requests: HttpRequestSpec[]) => runLoad({ kind: 'sequential', baseUrl: service.baseUrl, requests }, 180_000);
    const coldShort = await run(commands(short, 0, 1));
    const coldLong = await run(commands(long, 0, 1));
    // Interleaved, short then long, so drift on a noisy machine weighs on both alike.
    const shortWarm = commands(short, 1, COMMANDS);
    const longWarm = commands(long, 1, COMMANDS);
    const both = await run(shortWarm.flatMap((request, i) => [request, longWarm[i] ?? request]));
    for (const r of [coldShort, coldLong, both]) requireAll(r, '201');
    const [warmShort, warmLong] = alternating(both);
    const ratio = judged(warmLong.latency.p50 / warmShort.latency.p50, COMMAND_GOAL, 'atMost');
    return {
      name: '6a. history: command latency',
      status: 'ok',
      ...ratio,
      summary: `median ${round(warmLong.latency.p50)} ms on ${lengths.long} events vs ${round(warmShort.latency.p50)} ms on ${lengths.short} (p99 ${round(warmLong.latency.p99)} vs ${round(warmShort.latency.p99)}); cold first command ${round(coldLong.latency.max)} vs ${round(coldShort.latency.max)} ms`,
      figures: {
        shortStreamEvents: lengths.short,
        longStreamEvents: lengths.long,
        commands: COMMANDS,
        shortP50Ms: round(warmShort.latency.p50),
        shortP99Ms: round(warmShort.latency.p99),
        longP50Ms: round(warmLong.latency.p50),
        longP99Ms: round(warmLong.latency.p99),
        shortColdMs: round(coldShort.latency.max),
        longColdMs: round(coldLong.latency.max),
        coldRatio: round(coldLong.latency.max / coldShort.latency.max, 2),
      },
    };
  } finally {
    await service.stop();
  }
}

/**
 * Scenario 1's availability query, one request after the other, without the cache (every answer
 * reads the read model), in scenario 1's store (~10,000 events) and in scenario 4's (~1,000,000),
 * which holds the same therapist with the same calendar.
 */
async function queryLatency(ctx: BenchContext): Promise<ScenarioResult> {
  const small = ctx.databases.get('avail');
  const big = ctx.databases.get('big');
  const queried = ctx.queried;
  if (!small || !big || !queried) throw new Error('needs the stores of scenarios 1 and 4 (run them too)');
  const counts = { small: 0, big: 0 };
  for (const [name, url] of [['small', small], ['big', big]] as const) {
    // Planner statistics as autovacuum would have them by now on a live system (the stores were just written).
    await query1(url, 'ANALYZE');
    counts[name] = Number(await query1(url, 'SELECT count(*) FROM event_store.events'));
  }
  const env = { AVAILABILITY_CACHE_ENABLED: 'false' };
  const services = [await startService(small, env)];
  let smallRun: LoadResult;
  let bigRun: LoadResult;
  try {
    services.push(await startService(big, env));
    const [smallService, bigService] = services;
    if (!smallService || !bigService) throw new Error('a service did not start');
    await Promise.all(services.map((s) => s.caughtUp(ctx.quick ? 60_000 : 240_000)));
    // Both services up at once, queried alternately: the same machine state for both sides of the ratio.
    const pairs = (n: number): HttpRequestSpec[] =>
      Array.from({ length: n }, () => [smallService, bigService]).flat().map((s) => ({ baseUrl: s.baseUrl, method: 'GET', path: availabilityPath(queried) }));
    await runLoad({ kind: 'sequential', baseUrl: smallService.baseUrl, requests: pairs(50) }, 60_000);
    const both = await runLoad({ kind: 'sequential', baseUrl: smallService.baseUrl, requests: pairs(QUERIES) }, 180_000);
    requireAll(both, '200');
    [smallRun, bigRun] = alternating(both);
  } finally {
    await Promise.all(services.map((s) => s.stop()));
  }
  const smallRunEvents = counts.small;
  const bigRunEvents = counts.big;
  const ratio = judged(bigRun.latency.p50 / smallRun.latency.p50, QUERY_GOAL, 'atMost');
  return {
    name: '6b. history: availability latency',
    status: 'ok',
    ...ratio,
    summary: `median ${round(bigRun.latency.p50)} ms with ${bigRunEvents} events vs ${round(smallRun.latency.p50)} ms with ${smallRunEvents} (p99 ${round(bigRun.latency.p99)} vs ${round(smallRun.latency.p99)}), no cache`,
    figures: {
      smallStoreEvents: smallRunEvents,
      bigStoreEvents: bigRunEvents,
      queries: QUERIES,
      smallP50Ms: round(smallRun.latency.p50),
      smallP99Ms: round(smallRun.latency.p99),
      bigP50Ms: round(bigRun.latency.p50),
      bigP99Ms: round(bigRun.latency.p99),
    },
  };
}

/** Splits an interleaved sequence (a, b, a, b, …) into the latency summaries of its two sides. */
function alternating(result: LoadResult): [LoadResult, LoadResult] {
  const samples = result.samples ?? [];
  const side = (parity: number): LoadResult => {
    const mine = samples.filter((_, i) => i % 2 === parity);
    return { ...result, requests: mine.length, samples: mine, latency: summarize(mine) };
  };
  return [side(0), side(1)];
}

function requireAll(result: LoadResult, status: string): void {
  if ((result.statuses[status] ?? 0) !== result.requests || result.errors > 0) {
    throw new Error(`expected every answer to be ${status}: ${JSON.stringify(result.statuses)} ${JSON.stringify(result.problemCodes)}, ${result.errors} errors`);
  }
}
