import type { AvailabilityFacts, Slot } from './availability-types.js';
import { BusyIndex, type BusyRelation } from './busy-index.js';
import { computeSlots, slotGeometry } from './slots.js';
import { formatLocalDate, localToInstantLenient, MS_PER_MINUTE, parseLocalDate, parseLocalTime, timeZone } from './time.js';

/** The slot that starts at a local date and time, whatever its status; undefined when no slot starts there. */
export function slotAt(facts: AvailabilityFacts, date: string, time: string, now: Date): Slot | undefined {
  const day = computeSlots(facts, { startDate: date, endDate: date }, now).days[0];
  return day?.slots.find((slot) => slot.time === time);
}

export interface SlotSuggestion {
  readonly date: string;
  readonly time: string;
  readonly startsAt: string;
}

/**
 * Up to `limit` available slots nearest in time to a requested local date and time, searched within
 * ±`windowDays` days: what a patient who lost a slot is offered instead. Ties go to the earlier slot.
 */
export function nearestAvailableSlots(
  facts: AvailabilityFacts,
  requested: { readonly date: string; readonly time: string },
  now: Date,
  options: { readonly windowDays?: number; readonly limit?: number } = {},
): SlotSuggestion[] {
  const windowDays = options.windowDays ?? 14;
  const limit = options.limit ?? 5;
  const day = parseLocalDate(requested.date);
  if (day === null) return [];
  const minute = parseLocalTime(requested.time) ?? 0;
  const target = localToInstantLenient(timeZone(facts.policies.timezone), day, minute);
  const calendar = computeSlots(facts, { startDate: formatLocalDate(day - windowDays), endDate: formatLocalDate(day + windowDays) }, now);
  const candidates: { suggestion: SlotSuggestion; distance: number; at: number }[] = [];
  for (const { date, slots } of calendar.days) {
    for (const slot of slots) {
      if (slot.status !== 'available') continue;
      const at = Date.parse(slot.startsAt);
      candidates.push({ suggestion: { date, time: slot.time, startsAt: slot.startsAt }, distance: Math.abs(at - target), at });
    }
  }
  return candidates
    .sort((a, b) => a.distance - b.distance || a.at - b.at)
    .slice(0, limit)
    .map((c) => c.suggestion);
}

/**
 * How an already-chosen interval (a booking's slot) relates to the busy time at `now`, with the
 * policy buffers: 'free' means no session or live hold overlaps it or crowds its buffers. Unlike a
 * slot's status it ignores rules, notice and horizon: those were checked when the slot was requested.
 */
export function intervalRelation(facts: AvailabilityFacts, interval: { readonly startsAt: string; readonly endsAt: string }, now: Date): BusyRelation {
  const geometry = slotGeometry(facts.policies);
  const index = new BusyIndex(facts.busy, now.getTime());
  return index.relate(Date.parse(interval.startsAt), Date.parse(interval.endsAt), geometry.before * MS_PER_MINUTE, geometry.after * MS_PER_MINUTE);
}
