import { sized, type BenchContext } from '../lib/context.js';
import { newTherapist, openCalendar, therapistStreamOf } from '../lib/events.js';
import { query1 } from '../lib/cluster.js';
import { runLoad } from '../lib/load.js';
import type { ScenarioResult } from '../lib/report.js';
import { appendStreams, openSeedStore } from '../lib/seed.js';
import { startService } from '../lib/service.js';
import { availableSlots, bookingBody } from '../lib/slots.js';
import { round } from '../lib/stats.js';

const DAY_MS = 86_400_000;

/**
 * Scenario 3: `n` patients ask for the same slot at once, each on its own connection. Exactly one
 * gets it; every other one is told the slot is taken (409), and nothing errors.
 */
export async function raceScenario(ctx: BenchContext): Promise<ScenarioResult[]> {
  const racers = sized(ctx, 500);
  const url = await ctx.cluster.createDatabase('race');
  const therapist = newTherapist('race');
  const seed = await openSeedStore(url);
  try {
    await appendStreams(seed.store, [{ stream: therapistStreamOf(therapist), events: openCalendar(therapist, Date.now() - 30 * DAY_MS) }]);
  } finally {
    await seed.close();
  }
  const service = await startService(url);
  let result;
  try {
    await service.caughtUp(60_000);
    const slot = (await availableSlots(service.baseUrl, therapist.id, 2, 9))[0];
    if (!slot) throw new Error('the race therapist has no open slot');
    const bodies = Array.from({ length: racers }, (_, i) => bookingBody(therapist.id, slot, i));
    ctx.log(`  ${racers} requests for ${slot.date} ${slot.time}`);
    result = await runLoad(
      { kind: 'cannon', baseUrl: service.baseUrl, method: 'POST', paths: ['/api/public/bookings'], bodies, connections: racers, amount: racers, maxConnectionRequests: 1, timeoutSec: 60 },
      120_000,
    );
  } finally {
    await service.stop();
  }
  const requested = Number(
    await query1(url, `SELECT count(*) FROM event_store.events WHERE stream_id = $1 AND event_type = 'BookingRequested'`, [therapistStreamOf(therapist)]),
  );
  const won = result.statuses['201'] ?? 0;
  const lost = result.statuses['409'] ?? 0;
  const slotTaken = result.problemCodes.slot_unavailable ?? 0;
  const other = result.requests - won - lost;
  const errors = result.errors + result.timeouts;
  const met = won === 1 && lost === racers - 1 && slotTaken === racers - 1 && other === 0 && errors === 0 && requested === 1;
  return [
    {
      name: '3. race for one slot',
      status: 'ok',
      goal: `1 × 201, ${racers - 1} × 409, 0 errors`,
      met,
      summary: `${won} × 201, ${lost} × 409 (${slotTaken} slot_unavailable), ${other} other, ${errors} errors; all ${result.requests} answered in ${round(result.wallMs, 0)} ms (p50 ${round(result.latency.p50)} ms, max ${round(result.latency.max)} ms); ${requested} BookingRequested stored`,
      figures: {
        racers,
        created: won,
        conflicts409: lost,
        slotUnavailable409: slotTaken,
        concurrentModification409: result.problemCodes.concurrent_modification ?? 0,
        otherStatuses: other,
        errors,
        answered: result.requests,
        allAnsweredMs: round(result.wallMs, 0),
        p50Ms: round(result.latency.p50),
        maxMs: round(result.latency.max),
        bookingRequestedStored: requested,
        statuses: JSON.stringify(result.statuses),
      },
    },
  ];
}
