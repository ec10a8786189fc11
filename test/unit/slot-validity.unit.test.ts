import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultBookingPolicies, type AvailabilityFacts, type BusyInterval } from '../../domain/availability/availability-types.js';
import { calendarValidUntil } from '../../domain/availability/slot-validity.js';
import { computeSlots } from '../../domain/availability/slots.js';

const range = { startDate: '2027-03-01', endDate: '2027-03-07' };
const base = Date.parse('2027-03-01T03:00:00Z');
const HOUR = 3_600_000;

const factsArbitrary = fc.record({
  notice: fc.integer({ min: 0, max: 48 }),
  horizon: fc.integer({ min: 1, max: 10 }),
  holds: fc.array(fc.record({ startHour: fc.integer({ min: 0, max: 7 * 24 }), expiresInMinutes: fc.integer({ min: -60, max: 600 }) }), { maxLength: 6 }),
  nowOffsetMinutes: fc.integer({ min: 0, max: 6 * 24 * 60 }),
  probe: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
});

describe('How long a computed calendar stays true', () => {
  it('holds at every instant before the first moment time alone could change a status (notice, horizon, a hold expiring)', () => {
    fc.assert(
      fc.property(factsArbitrary, ({ notice, horizon, holds, nowOffsetMinutes, probe }) => {
        const now = base + nowOffsetMinutes * 60_000;
        const busy: BusyInterval[] = holds.map((h) => ({
          kind: 'hold',
          startsAt: new Date(base + h.startHour * HOUR).toISOString(),
          endsAt: new Date(base + h.startHour * HOUR + 50 * 60_000).toISOString(),
          expiresAt: new Date(now + h.expiresInMinutes * 60_000).toISOString(),
        }));
        const facts: AvailabilityFacts = {
          policies: { ...defaultBookingPolicies(), minAdvanceBookingHours: notice, maxAdvanceBookingDays: horizon },
          rules: [0, 1, 2, 3, 4, 5, 6].map((dayOfWeek) => ({ dayOfWeek, startTime: '08:00', endTime: '20:00' })),
          exceptions: [],
          busy,
        };
        const calendar = computeSlots(facts, range, new Date(now));
        const ceiling = now + 30 * 24 * HOUR;
        const until = calendarValidUntil(facts, calendar, now, ceiling);
        expect(until).toBeGreaterThan(now);
        expect(computeSlots(facts, range, new Date(until - 1))).toEqual(calendar);
        expect(computeSlots(facts, range, new Date(now + Math.floor((until - now) * probe)))).toEqual(calendar);
      }),
      { numRuns: 150 },
    );
  });
});
