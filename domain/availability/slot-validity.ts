import type { AvailabilityFacts, SlotCalendar } from './availability-types.js';
import { MS_PER_DAY, MS_PER_HOUR } from './time.js';

/**
 * Until when a computed calendar stays exactly what computeSlots would return, facts unchanged.
 * Time enters a slot's status in three comparisons only (see computeSlots): the notice window
 * (start < now + notice), the horizon (start > now + horizon) and live holds (expiresAt > now); so
 * the answer holds until now passes start − notice, or reaches start − horizon or a hold's expiry,
 * whichever comes first. A lower bound: some of those instants change no status. `ceilingMs` bounds the result (a cache TTL).
 */
export function calendarValidUntil(facts: AvailabilityFacts, calendar: SlotCalendar, nowMs: number, ceilingMs: number): number {
  let until = ceilingMs;
  const consider = (instant: number) => {
    if (instant > nowMs && instant < until) until = instant;
  };
  const noticeMs = facts.policies.minAdvanceBookingHours * MS_PER_HOUR;
  const horizonMs = facts.policies.maxAdvanceBookingDays * MS_PER_DAY;
  for (const day of calendar.days) {
    for (const slot of day.slots) {
      const start = Date.parse(slot.startsAt);
      // `start < now + notice` turns true just after start − notice; `start > now + horizon` turns false at start − horizon.
      consider(start - noticeMs + 1);
      consider(start - horizonMs);
    }
  }
  for (const busy of facts.busy) {
    if (busy.kind === 'hold' && busy.expiresAt !== null) consider(Date.parse(busy.expiresAt));
  }
  return until;
}
