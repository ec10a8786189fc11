import { randomUUID } from 'node:crypto';
import { ExpectedRevision } from '../../infra/event-store/event-store.js';
import { PostgresEventStore } from '../../infra/event-store/postgres-event-store.js';
import { sized, type BenchContext } from '../lib/context.js';
import { cpuMeter, type CpuSplit } from '../lib/cpu.js';
import { bookingRequestedAt, newTherapist, openCalendar, therapistStreamOf, type TherapistSeed } from '../lib/events.js';
import { runLoad } from '../lib/load.js';
import { judged, type ScenarioResult } from '../lib/report.js';
import { appendStreams, openSeedStore } from '../lib/seed.js';
import { startService } from '../lib/service.js';
import { availableSlots, bookingBody } from '../lib/slots.js';
import { round, summarize } from '../lib/stats.js';

const CONNECTIONS = 50;
const PER_THERAPIST = 10;
const GOAL = 0.3;
const DAY_MS = 86_400_000;

/**
 * Scenario 2: booking requests for distinct real slots, 10 per therapist, 50 at a time over HTTP,
 * against raw appends of the same events (BookingRequested, one per request) with the same concurrency.
 */
export async function bookingScenario(ctx: BenchContext): Promise<ScenarioResult[]> {
  const therapistCount = sized(ctx, 100);
  const total = therapistCount * PER_THERAPIST;
  const url = await ctx.cluster.createDatabase('booking');
  const therapists = Array.from({ length: therapistCount }, (_, i) => newTherapist(`booking${i}`));
  const warmup = Array.from({ length: 2 }, (_, i) => newTherapist(`warmup${i}`));
  const seed = await openSeedStore(url);
  try {
    await appendStreams(seed.store, [...therapists, ...warmup].map((t) => ({ stream: therapistStreamOf(t), events: openCalendar(t, Date.now() - 30 * DAY_MS) })));
  } finally {
    await seed.close();
  }

  const service = await startService(url);
  let measured;
  let warm;
  let cpu: CpuSplit = { serviceMs: 0, postgresMs: 0 };
  try {
    await service.caughtUp(120_000);
    const bodiesFor = async (group: readonly TherapistSeed[]) => {
      const slots = await Promise.all(group.map(async (t) => (await availableSlots(service.baseUrl, t.id, 2, 20)).slice(0, PER_THERAPIST)));
      const bodies: Record<string, unknown>[] = [];
      // Round robin over therapists, so the 50 requests in flight are spread over many streams.
      for (let k = 0; k < PER_THERAPIST; k++) {
        for (const [i, t] of group.entries()) {
          const slot = slots[i]?.[k];
          if (!slot) throw new Error(`therapist ${t.slug} has fewer than ${PER_THERAPIST} open slots`);
          bodies.push(bookingBody(t.id, slot, bodies.length));
        }
      }
      return bodies;
    };
    const spec = { kind: 'cannon', baseUrl: service.baseUrl, method: 'POST', paths: ['/api/public/bookings'] } as const;
    const warmBodies = await bodiesFor(warmup);
    ctx.log(`  warm-up: ${warmBodies.length} bookings`);
    warm = await runLoad({ ...spec, connections: 10, amount: warmBodies.length, bodies: warmBodies }, 60_000);
    const bodies = await bodiesFor(therapists);
    ctx.log(`  ${bodies.length} bookings over ${therapistCount} therapists, ${CONNECTIONS} at a time`);
    const stop = cpuMeter(service.pid, ctx.cluster.postmasterPid());
    measured = await runLoad({ ...spec, connections: CONNECTIONS, amount: bodies.length, bodies }, 120_000);
    cpu = stop();
  } finally {
    await service.stop();
  }

  ctx.log(`  baseline: ${total} raw appends, ${CONNECTIONS} at a time, 3 times`);
  // The median of three: a thousand appends take about a second, which a burst of slow fsyncs can double.
  const raws = [];
  for (let i = 0; i < 3; i++) raws.push(await rawAppends(url, therapistCount, total, ctx.cluster.postmasterPid()));
  raws.sort((a, b) => a.perSec - b.perSec);
  const raw = raws[1] ?? raws[0];
  if (!raw) throw new Error('no raw append run');

  const created = measured.statuses['201'] ?? 0;
  const conflicts = measured.statuses['409'] ?? 0;
  const other = measured.requests - created - conflicts;
  const bookingsPerSec = created / (measured.wallMs / 1000);
  const ratio = judged(bookingsPerSec / raw.perSec, GOAL, 'atLeast');
  const clean = created === total && measured.errors === 0;
  return [
    {
      name: '2. booking throughput',
      status: clean ? 'ok' : 'failed',
      ...(clean ? {} : { reason: `expected ${total} bookings created, got ${JSON.stringify(measured.statuses)} ${JSON.stringify(measured.problemCodes)}, ${measured.errors} errors` }),
      ...ratio,
      summary: `${round(bookingsPerSec, 1)} bookings/s (p50 ${round(measured.latency.p50)} ms, p99 ${round(measured.latency.p99)} ms) vs ${round(raw.perSec, 1)} raw appends/s; CPU/booking service ${round(cpu.serviceMs / Math.max(1, measured.requests), 2)} ms, PostgreSQL ${round(cpu.postgresMs / Math.max(1, measured.requests), 2)} ms (raw append: PostgreSQL ${round(raw.cpu.postgresMs / total, 2)} ms); ${created} created, ${conflicts} conflicts (${measured.problemCodes.concurrent_modification ?? 0} concurrent_modification), ${other} other`,
      figures: {
        requests: measured.requests,
        therapists: therapistCount,
        connections: CONNECTIONS,
        created,
        conflicts409: conflicts,
        concurrentModification409: measured.problemCodes.concurrent_modification ?? 0,
        slotUnavailable409: measured.problemCodes.slot_unavailable ?? 0,
        otherStatuses: other,
        errors: measured.errors,
        wallMs: round(measured.wallMs, 0),
        bookingsPerSec: round(bookingsPerSec, 1),
        p50Ms: round(measured.latency.p50),
        p99Ms: round(measured.latency.p99),
        serviceCpuMsPerBooking: round(cpu.serviceMs / Math.max(1, measured.requests), 3),
        postgresCpuMsPerBooking: round(cpu.postgresMs / Math.max(1, measured.requests), 3),
        rawAppendsPerSec: round(raw.perSec, 1),
        // Noise-robust companion of the ratio: CPU per raw append (appender + PostgreSQL) over CPU per booking (service + PostgreSQL).
        cpuCostRatio: round((raw.cpu.serviceMs + raw.cpu.postgresMs) / total / ((cpu.serviceMs + cpu.postgresMs) / Math.max(1, measured.requests)), 3),
        rawAppendsPerSecRuns: raws.map((r) => Math.round(r.perSec)).join(' / '),
        rawAppenderCpuMsPerAppend: round(raw.cpu.serviceMs / total, 3),
        rawPostgresCpuMsPerAppend: round(raw.cpu.postgresMs / total, 3),
        rawWallMs: round(raw.ms, 0),
        rawP50Ms: round(raw.p50, 2),
        rawP99Ms: round(raw.p99, 2),
        warmupRequests: warm.requests,
        retriesInsideService: 'not observable over HTTP (see docs/benchmarks.md)',
      },
    },
  ];
}

/**
 * The baseline: the same number of BookingRequested events appended straight through the store
 * adapter (a pool of the service's size, synchronous commits), `CONNECTIONS` appends in flight, to as
 * many existing therapist streams as the service booked on. Run after the service stopped, on the same database.
 */
async function rawAppends(url: string, streams: number, total: number, postmasterPid: number): Promise<{ perSec: number; ms: number; p50: number; p99: number; cpu: CpuSplit }> {
  const store = await PostgresEventStore.create(url, { poolMax: 20 });
  try {
    const ids = Array.from({ length: streams }, () => randomUUID());
    await Promise.all(ids.map((id) => store.append(`therapist-${id}`, openCalendar({ id, slug: `raw-${id.slice(0, 8)}` }, Date.now() - 30 * DAY_MS), ExpectedRevision.noStream)));
    const now = Date.now();
    const events = Array.from({ length: total }, (_, i) => ({ stream: `therapist-${ids[i % streams] ?? ''}`, event: bookingRequestedAt(now + (2 + (i % 50)) * DAY_MS, now) }));
    const latencies: number[] = [];
    let next = 0;
    const stop = cpuMeter(process.pid, postmasterPid);
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CONNECTIONS }, async () => {
        for (let i = next++; i < events.length; i = next++) {
          const item = events[i];
          if (!item) continue;
          const begin = performance.now();
          await store.append(item.stream, [item.event], ExpectedRevision.any);
          latencies.push(performance.now() - begin);
        }
      }),
    );
    const ms = performance.now() - started;
    const cpu = stop();
    const { p50, p99 } = summarize(latencies);
    return { perSec: total / (ms / 1000), ms, p50, p99, cpu };
  } finally {
    await store.close();
  }
}
