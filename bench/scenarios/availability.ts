import { sized, type BenchContext } from '../lib/context.js';
import { runLoad } from '../lib/load.js';
import { cpuMeter, type CpuSplit } from '../lib/cpu.js';
import type { LatencySummary, LoadResult } from '../lib/load-types.js';
import { availabilityPath, queriedTherapist } from '../lib/queried-therapist.js';
import { redisInstalled, startRedis } from '../lib/redis.js';
import { judged, type ScenarioResult } from '../lib/report.js';
import { appendStreams, openSeedStore } from '../lib/seed.js';
import { startService, type BenchService } from '../lib/service.js';
import { round, summarize } from '../lib/stats.js';
import { therapistStreamOf } from '../lib/events.js';

const CONNECTIONS = 50;
const GOAL = 0.5;
const MEMORY_GOAL_MB = 256;

interface Variant {
  readonly label: string;
  readonly env: Record<string, string>;
}

/**
 * Scenario 1 (availability query under load, against an express baseline of the same size, with the
 * in-process cache, without it, and with Redis) and scenario 7 (the service's memory meanwhile).
 */
export async function availabilityScenario(ctx: BenchContext): Promise<ScenarioResult[]> {
  const url = await ctx.cluster.createDatabase('avail');
  const queried = queriedTherapist(Date.now(), sized(ctx, 5000), sized(ctx, 200));
  const seed = await openSeedStore(url);
  try {
    await appendStreams(seed.store, [{ stream: therapistStreamOf(queried.therapist), events: queried.events }]);
  } finally {
    await seed.close();
  }
  ctx.databases.set('avail', url);
  ctx.queried = queried;
  ctx.log(`  seeded ${queried.events.length} events (${queried.pastSessions} past sessions, ${queried.sessionsInRange} in the queried week)`);

  const rounds = ctx.quick ? 1 : 2;
  const secPerRound = ctx.quick ? 1 : 5;
  const path = availabilityPath(queried);
  const variants: Variant[] = [
    { label: 'in-process cache', env: {} },
    { label: 'no cache', env: { AVAILABILITY_CACHE_ENABLED: 'false' } },
  ];
  const redis = redisInstalled() ? await startRedis() : undefined;
  if (redis) variants.push({ label: 'Redis cache', env: { REDIS_URL: redis.url } });

  const results: ScenarioResult[] = [];
  try {
    for (const [index, variant] of variants.entries()) {
      const service = await startService(url, variant.env);
      try {
        await service.caughtUp(120_000);
        const probe = await fetch(service.baseUrl + path);
        const body = await probe.text();
        if (probe.status !== 200) throw new Error(`availability answered ${probe.status}: ${body.slice(0, 200)}`);
        const bytes = Buffer.byteLength(body);
        const baselinePath = `/__bench/static?bytes=${bytes}`;
        ctx.log(`  ${variant.label}: ${rounds} × (${secPerRound} s ${baselinePath}, ${secPerRound} s availability)`);
        const stopSampling = service.sampleRss();
        const { baseline, measured } = await compare(ctx, service, baselinePath, path, rounds, secPerRound);
        const loadPeakMb = stopSampling();
        const cached = ((await (await fetch(service.baseUrl + path)).json()) as { freshness?: { cached?: boolean } }).freshness?.cached ?? null;
        const ratio = judged(measured.rps / baseline.rps, GOAL, 'atLeast');
        results.push({
          name: `1. availability (${variant.label})`,
          status: 'ok',
          ...ratio,
          summary:
            `${Math.round(measured.rps)} req/s (p50 ${round(measured.latency.p50)} ms, p99 ${round(measured.latency.p99)} ms) vs baseline ${Math.round(baseline.rps)} req/s ` +
            `(p50 ${round(baseline.latency.p50)} ms, p99 ${round(baseline.latency.p99)} ms), ${bytes} B; CPU/req service ${round(measured.serviceCpuMs, 3)} ms ` +
            `(baseline ${round(baseline.serviceCpuMs, 3)}), PostgreSQL ${round(measured.postgresCpuMs, 3)} ms`,
          figures: {
            connections: CONNECTIONS,
            durationSec: rounds * secPerRound,
            responseBytes: bytes,
            answerCached: cached,
            reqPerSec: round(measured.rps, 1),
            p50Ms: round(measured.latency.p50),
            p99Ms: round(measured.latency.p99),
            requests: measured.requests,
            serviceCpuMsPerRequest: round(measured.serviceCpuMs, 4),
            postgresCpuMsPerRequest: round(measured.postgresCpuMs, 4),
            loadGeneratorCpuMsPerRequest: round(measured.loadCpuMs, 4),
            baselineReqPerSec: round(baseline.rps, 1),
            baselineP50Ms: round(baseline.latency.p50),
            baselineP99Ms: round(baseline.latency.p99),
            baselineServiceCpuMsPerRequest: round(baseline.serviceCpuMs, 4),
            baselinePostgresCpuMsPerRequest: round(baseline.postgresCpuMs, 4),
            baselineLoadGeneratorCpuMsPerRequest: round(baseline.loadCpuMs, 4),
            // Noise-robust companion of the ratio: on a CPU-bound box req/s follows CPU per request.
            cpuCostRatio: round(cpuPerRequest(baseline) / cpuPerRequest(measured), 3),
            pastSessions: queried.pastSessions,
            sessionsInRange: queried.sessionsInRange,
            eventsInStore: queried.events.length,
          },
        });
        if (index === 0) results.push(memoryResult(service, loadPeakMb));
      } finally {
        await service.stop();
      }
    }
  } finally {
    await redis?.stop();
  }
  if (!redis) results.push({ name: '1. availability (Redis cache)', status: 'skipped', reason: 'redis-server is not on PATH', figures: {} });
  return results;
}

/** Service, PostgreSQL and load generator together: what one request costs the 2 shared cores. */
function cpuPerRequest(side: Side): number {
  return side.serviceCpuMs + side.postgresCpuMs + side.loadCpuMs;
}

interface Side {
  readonly requests: number;
  readonly rps: number;
  readonly latency: LatencySummary;
  /** CPU per request, ms. */
  readonly serviceCpuMs: number;
  readonly postgresCpuMs: number;
  readonly loadCpuMs: number;
}

/**
 * Baseline and availability in alternating rounds after a warm-up of both, so that a machine that
 * slows down or speeds up mid-run weighs on both sides of the ratio alike. Also splits the CPU each
 * request costs between the service, PostgreSQL and the load generator (they share 2 cores).
 */
async function compare(ctx: BenchContext, service: BenchService, baselinePath: string, path: string, rounds: number, secPerRound: number): Promise<{ baseline: Side; measured: Side }> {
  const spec = { kind: 'cannon', baseUrl: service.baseUrl, connections: CONNECTIONS, method: 'GET' } as const;
  await runLoad({ ...spec, paths: [baselinePath, path], durationSec: ctx.quick ? 1 : 2 }, 60_000);
  const runs: { baseline: LoadResult[]; measured: LoadResult[]; cpu: { baseline: CpuSplit[]; measured: CpuSplit[] } } = { baseline: [], measured: [], cpu: { baseline: [], measured: [] } };
  for (let r = 0; r < rounds; r++) {
    for (const side of ['baseline', 'measured'] as const) {
      const stop = cpuMeter(service.pid, ctx.cluster.postmasterPid());
      const result = await runLoad({ ...spec, paths: [side === 'baseline' ? baselinePath : path], durationSec: secPerRound }, (secPerRound + 60) * 1000);
      runs.cpu[side].push(stop());
      checkClean(result, service);
      runs[side].push(result);
    }
  }
  const merge = (results: LoadResult[], cpu: CpuSplit[]): Side => {
    const requests = results.reduce((sum, r) => sum + r.requests, 0);
    const seconds = results.reduce((sum, r) => sum + r.requests / r.rps, 0);
    const perRequest = (ms: number) => (requests === 0 ? 0 : ms / requests);
    return {
      requests,
      rps: requests / seconds,
      latency: summarize(results.flatMap((r) => r.samples ?? [])),
      serviceCpuMs: perRequest(cpu.reduce((sum, c) => sum + c.serviceMs, 0)),
      postgresCpuMs: perRequest(cpu.reduce((sum, c) => sum + c.postgresMs, 0)),
      loadCpuMs: perRequest(results.reduce((sum, r) => sum + r.loadCpuMs, 0)),
    };
  };
  return { baseline: merge(runs.baseline, runs.cpu.baseline), measured: merge(runs.measured, runs.cpu.measured) };
}

function checkClean(result: LoadResult, service: BenchService): void {
  const bad = Object.entries(result.statuses).filter(([status]) => status !== '200');
  if (bad.length > 0 || result.errors > 0 || result.requests === 0) {
    throw new Error(`not every answer was 200: ${JSON.stringify(result.statuses)}, ${result.errors} errors, ${result.timeouts} timeouts; service: ${service.stderrTail().slice(-500)}`);
  }
}

/** Scenario 7: the service process's peak resident memory, over its life and while under scenario 1's load. */
function memoryResult(service: BenchService, loadPeakMb: number): ScenarioResult {
  const { rssMb, peakMb } = service.memory();
  return {
    name: '7. memory (service during 1)',
    status: 'ok',
    goal: `≤ ${MEMORY_GOAL_MB} MB`,
    met: peakMb <= MEMORY_GOAL_MB,
    summary: `peak RSS ${round(peakMb, 1)} MB over the process's life (start, catch-up, baseline, load); ${round(loadPeakMb, 1)} MB sampled peak under load; ${round(rssMb, 1)} MB after`,
    figures: { peakRssMb: round(peakMb, 1), loadPeakRssMb: round(loadPeakMb, 1), rssAfterMb: round(rssMb, 1) },
  };
}
