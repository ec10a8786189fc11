import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { TherapistEvent } from '../../domain/therapist/therapist-events.js';
import { START } from '../../infra/event-store/event-store.js';
import { createProjections } from '../../projections/registry.js';
import type { ProjectedEvent } from '../../projections/projection.js';
import { patientStatistics } from '../../queries/patients.js';
import { useEventStoreDatabase } from '../support/database.js';

const DAY = 86_400_000;
const ORIGIN = Date.parse('2027-01-01T00:00:00.000Z');
type Outcome = 'scheduled' | 'completed' | 'no_show' | 'cancelled_by_patient' | 'cancelled_by_therapist';

interface SessionCase {
  readonly day: number;
  /** Minutes after 00:00 UTC: 01:00–03:00 UTC is still the previous day (and month) in Buenos Aires. */
  readonly minute: number;
  readonly price: number;
  readonly paid: boolean;
  readonly outcome: Outcome;
}

const sessionCase = fc.record({
  day: fc.integer({ min: 0, max: 120 }),
  minute: fc.constantFrom(0, 60, 179, 180, 720, 1439),
  price: fc.integer({ min: 0, max: 50_000 }),
  paid: fc.boolean(),
  outcome: fc.constantFrom<Outcome>('scheduled', 'completed', 'no_show', 'cancelled_by_patient', 'cancelled_by_therapist'),
});

/** The statistics computed straight from the cases, by their definitions (migration 0008). */
function expected(cases: readonly SessionCase[], at: number) {
  const startOf = (c: SessionCase) => ORIGIN + c.day * DAY + c.minute * 60_000;
  const live = cases.filter((c) => !c.outcome.startsWith('cancelled'));
  const attended = cases.filter((c) => c.outcome === 'completed').length;
  const noShows = cases.filter((c) => c.outcome === 'no_show').length;
  const cancelled = cases.length - live.length;
  const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());
  const months: Record<string, number> = {};
  for (const c of live) {
    // Buenos Aires is UTC−3 all year.
    const month = new Date(startOf(c) - 3 * 3_600_000).toISOString().slice(0, 7);
    months[month] = (months[month] ?? 0) + 1;
  }
  const starts = (list: readonly SessionCase[]) => list.map(startOf).sort((a, b) => a - b);
  return {
    attended,
    cancelled,
    noShows,
    attendanceRate: attended + cancelled === 0 ? null : Math.round((10_000 * attended) / (attended + cancelled)) / 100,
    firstSessionAt: iso(starts(live)[0]),
    lastSessionAt: iso(starts(live.filter((c) => startOf(c) < at)).at(-1)),
    nextSessionAt: iso(starts(cases.filter((c) => c.outcome === 'scheduled' && startOf(c) >= at))[0]),
    totalPaid: live.filter((c) => c.paid).reduce((sum, c) => sum + c.price, 0),
    outstandingBalance: live.filter((c) => !c.paid && startOf(c) < at).reduce((sum, c) => sum + c.price, 0),
    sessionsPerMonth: months,
  };
}

function eventsOf(patientId: string, cases: readonly SessionCase[]): TherapistEvent[] {
  return cases.flatMap((c): TherapistEvent[] => {
    const sessionId = randomUUID();
    const start = ORIGIN + c.day * DAY + c.minute * 60_000;
    const startsAt = new Date(start).toISOString();
    const scheduled: TherapistEvent = {
      type: 'SessionScheduled',
      data: { sessionId, patientId, bookingId: null, recurrenceId: null, startsAt, endsAt: new Date(start + 50 * 60_000).toISOString(), durationMinutes: 50, price: c.price, paymentStatus: c.paid ? 'paid' : 'pending', source: 'manual', occurrenceDate: null },
    };
    switch (c.outcome) {
      case 'scheduled':
        return [scheduled];
      case 'completed':
        return [scheduled, { type: 'SessionCompleted', data: { sessionId, at: startsAt } }];
      case 'no_show':
        return [scheduled, { type: 'SessionMarkedNoShow', data: { sessionId, at: startsAt } }];
      case 'cancelled_by_patient':
      case 'cancelled_by_therapist':
        return [scheduled, { type: 'SessionCancelled', data: { sessionId, cancelledBy: c.outcome === 'cancelled_by_patient' ? 'patient' : 'therapist', reason: null, cancelledAt: startsAt } }];
    }
  });
}

/**
 * Random histories of session events, projected for real (the bookings projection, PostgreSQL),
 * against the statistics computed directly, at random instants: "last", "next" and the balance
 * move with the instant they are read at.
 */
describe('Patient statistics', () => {
  const database = useEventStoreDatabase('patient_stats');
  const noKeys = { open: () => Promise.resolve([]) };
  const bookings = createProjections(noKeys).find((p) => p.name === 'bookings');

  it('match a direct computation for any history and any query instant', async () => {
    if (!bookings) throw new Error('the bookings projection is registered');
    await fc.assert(
      fc.asyncProperty(fc.array(sessionCase, { maxLength: 12 }), fc.integer({ min: -10, max: 140 }), fc.constantFrom(0, 60, 61, 720), fc.integer({ min: 1, max: 4 }), async (cases, atDay, atMinute, batches) => {
        const patientId = randomUUID();
        const therapistId = randomUUID();
        const events: ProjectedEvent[] = eventsOf(patientId, cases).map((event, i) => ({
          event,
          streamId: `therapist-${therapistId}`,
          streamRevision: i,
          position: START,
          metadata: { correlationId: 'property', causationId: null, actor: { kind: 'system', job: 'test' } },
          recordedAt: new Date(ORIGIN),
        }));
        // In one batch or several: the projection must not care how the log is cut.
        const size = Math.max(1, Math.ceil(events.length / batches));
        for (let i = 0; i < events.length; i += size) await database.db.transaction((trx) => bookings.apply(trx, events.slice(i, i + size)));
        // Sometimes exactly at a session's start (60 minutes past midnight is one of the starts): "last" is before, "next" from then on.
        const at = ORIGIN + atDay * DAY + atMinute * 60_000;
        expect(await patientStatistics(database.db, patientId, new Date(at))).toEqual(expected(cases, at));
      }),
      { numRuns: 60 },
    );
  });
});
