import type { AvailabilityFacts, BookingPolicies, DateRange, DaySlots, Slot, SlotCalendar, SlotStatus } from './availability-types.js';
import { BusyIndex } from './busy-index.js';
import { DayRangePlanner, type MinuteRange } from './day-ranges.js';
import {
  dayOffsets,
  formatLocalDate,
  formatLocalTime,
  localToInstant,
  MS_PER_DAY,
  MS_PER_HOUR,
  MS_PER_MINUTE,
  parseLocalDate,
  timeZone,
} from './time.js';

/** Longest range computed in one call; a guard against runaway input, not a product limit (the API caps at 62 days). */
export const MAX_RANGE_DAYS = 400;

/** Policy numbers in minutes, made safe to loop on whatever the facts contain. */
export interface SlotGeometry {
  readonly duration: number;
  readonly before: number;
  readonly after: number;
  readonly step: number;
}

export function slotGeometry(policies: BookingPolicies): SlotGeometry {
  const duration = Math.max(1, wholeMinutes(policies.sessionDurationMinutes));
  const before = wholeMinutes(policies.bufferBeforeMinutes);
  const after = wholeMinutes(policies.bufferAfterMinutes);
  const step = policies.slotStepMinutes === null ? before + duration + after : Math.max(1, wholeMinutes(policies.slotStepMinutes));
  return { duration, before, after, step };
}

/**
 * Local start minutes of the slots that fit in one available range: the first at rangeStart +
 * bufferBefore, then every `step`, as long as the padded slot [start − before, start + duration +
 * after] stays inside the range.
 */
export function slotStartsInRange([rangeStart, rangeEnd]: MinuteRange, geometry: SlotGeometry): number[] {
  const starts: number[] = [];
  for (let start = rangeStart + geometry.before; start + geometry.duration + geometry.after <= rangeEnd; start += geometry.step) {
    starts.push(start);
  }
  return starts;
}

/**
 * The bookable-slot calendar: the product's definition of availability.
 *
 * 1. Dates are local dates in `policies.timezone`. A date's available time is the union of the weekly
 *    rules of its day of week, minus blocking exceptions (all-day removes the whole date, partial
 *    removes its range), plus extra-availability exceptions on that date (BR-AV-003: date exceptions
 *    override weekly rules). Touching or overlapping ranges merge into one.
 * 2. In each available range, slots start at rangeStart + bufferBefore and advance by
 *    slotStepMinutes ?? (bufferBefore + duration + bufferAfter); a slot exists only if its padded
 *    interval [start − bufferBefore, start + duration + bufferAfter] lies inside the range, so a slot
 *    never crosses blocked time (9–17, 50 min + 10 after → 9:00 … 16:00; 50 + 15 in a one-hour
 *    block → none, EC-AV-003).
 * 3. Wall-clock starts convert through the zone: a start that does not exist (DST gap) yields no
 *    slot; in a repeated hour the first occurrence is used; endsAt = startsAt + duration (absolute).
 * 4. Status, first match wins: `booked` if [start, end) overlaps a session; `locked` if it overlaps
 *    a hold whose expiresAt is null or after `now`; `unavailable` if the padded slot overlaps a
 *    session or live hold padded the same way (start − before < busyEnd + after and busyStart −
 *    before < end + after), or start < now + minAdvanceBookingHours, or start > now +
 *    maxAdvanceBookingDays (24-hour days); otherwise `available`.
 * 5. Every date of the inclusive range is returned, with an empty list when nothing fits. Invalid
 *    dates or an inverted range give no days; at most MAX_RANGE_DAYS are computed. Invalid rules or
 *    exceptions are ignored; an unknown time zone throws RangeError.
 */
export function computeSlots(facts: AvailabilityFacts, range: DateRange, now: Date): SlotCalendar {
  const timezone = facts.policies.timezone;
  const zone = timeZone(timezone);
  const firstDay = parseLocalDate(range.startDate);
  const lastDay = parseLocalDate(range.endDate);
  if (firstDay === null || lastDay === null || lastDay < firstDay) return { timezone, days: [] };

  const nowMs = now.getTime();
  const planner = new DayRangePlanner(facts.rules, facts.exceptions);
  const busy = new BusyIndex(facts.busy, nowMs);
  const geometry = slotGeometry(facts.policies);
  const beforeMs = geometry.before * MS_PER_MINUTE;
  const afterMs = geometry.after * MS_PER_MINUTE;
  const durationMs = geometry.duration * MS_PER_MINUTE;
  const earliestStart = nowMs + facts.policies.minAdvanceBookingHours * MS_PER_HOUR;
  const latestStart = nowMs + facts.policies.maxAdvanceBookingDays * MS_PER_DAY;

  const days: DaySlots[] = [];
  const stopDay = Math.min(lastDay, firstDay + MAX_RANGE_DAYS - 1);
  for (let day = firstDay; day <= stopDay; day++) {
    const slots: Slot[] = [];
    const ranges = planner.rangesFor(day);
    const offsets = ranges.length > 0 ? dayOffsets(zone, day) : undefined;
    for (const available of ranges) {
      for (const minute of slotStartsInRange(available, geometry)) {
        const start = localToInstant(zone, day, minute, offsets);
        if (start === null) continue;
        const end = start + durationMs;
        let status: SlotStatus;
        const relation = busy.relate(start, end, beforeMs, afterMs);
        if (relation === 'booked' || relation === 'locked') status = relation;
        else if (relation === 'too_close' || start < earliestStart || start > latestStart) status = 'unavailable';
        else status = 'available';
        slots.push({ time: formatLocalTime(minute), startsAt: new Date(start).toISOString(), endsAt: new Date(end).toISOString(), status });
      }
    }
    days.push({ date: formatLocalDate(day), slots });
  }
  return { timezone, days };
}

function wholeMinutes(value: number): number {
  return Number.isFinite(value) ? Math.max(0, Math.floor(value)) : 0;
}
