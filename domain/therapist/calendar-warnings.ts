import type { AvailabilityException, BookingPolicies, RuleFact } from '../availability/availability-types.js';
import { DAY_NAMES } from '../availability/availability-validation.js';
import { minuteRange, unionRanges } from '../availability/day-ranges.js';
import { slotGeometry, slotStartsInRange } from '../availability/slots.js';
import { localToInstantLenient, MINUTES_PER_DAY, parseLocalDate, timeZone } from '../availability/time.js';
import type { RegisteredTherapist } from './therapist-state.js';

/** Accepted, but worth the therapist's attention: answered alongside the command's success. */
export type CalendarWarning =
  | {
      readonly code: 'exception_over_bookings';
      readonly message: string;
      readonly sessions: readonly { readonly sessionId: string; readonly startsAt: string }[];
      readonly bookingRequests: readonly { readonly bookingId: string; readonly startsAt: string }[];
    }
  | { readonly code: 'no_bookable_slots'; readonly message: string; readonly blocks: readonly RuleFact[] };

/**
 * EC-AV-002: a blocking exception over time that already holds sessions or pending booking requests
 * is kept, but the therapist is told which ones, to cancel or keep them.
 */
export function exceptionWarnings(state: RegisteredTherapist, exception: AvailabilityException): CalendarWarning[] {
  if (exception.isAvailable) return [];
  const zone = timeZone(state.policies.timezone);
  const day = parseLocalDate(exception.date);
  const range = exception.allDay ? ([0, MINUTES_PER_DAY] as const) : minuteRange(exception.startTime, exception.endTime);
  if (day === null || range === null) return [];
  const from = localToInstantLenient(zone, day, range[0]);
  const to = localToInstantLenient(zone, day, range[1]);
  const overlaps = (startsAt: string, endsAt: string) => Date.parse(startsAt) < to && from < Date.parse(endsAt);
  const sessions = Object.values(state.sessions)
    .filter((s) => s.status === 'scheduled' && overlaps(s.startsAt, s.endsAt))
    .map(({ sessionId, startsAt }) => ({ sessionId, startsAt }));
  const bookingRequests = Object.values(state.bookings)
    .filter((b) => (b.status === 'pending_payment' || b.status === 'payment_processing') && overlaps(b.startsAt, b.endsAt))
    .map(({ bookingId, startsAt }) => ({ bookingId, startsAt }));
  if (sessions.length === 0 && bookingRequests.length === 0) return [];
  const parts = [plural(sessions.length, 'session'), plural(bookingRequests.length, 'pending booking request')].filter(Boolean);
  return [
    {
      code: 'exception_over_bookings',
      message: `You have ${parts.join(' and ')} in this time; they are kept until you cancel them`,
      sessions,
      bookingRequests,
    },
  ];
}

/**
 * EC-AV-003: weekly blocks in which no session fits once buffers are applied (50 min + 15 min
 * buffer in a one-hour block). Adjacent blocks count as one, as the slot computation sees them.
 */
export function scheduleWarnings(rules: readonly RuleFact[], policies: BookingPolicies): CalendarWarning[] {
  const geometry = slotGeometry(policies);
  const empty: RuleFact[] = [];
  for (let dayOfWeek = 0; dayOfWeek < 7; dayOfWeek++) {
    const ofDay = rules.filter((r) => r.dayOfWeek === dayOfWeek);
    const merged = unionRanges(ofDay.map((r) => minuteRange(r.startTime, r.endTime)).filter((r) => r !== null));
    for (const range of merged) {
      if (slotStartsInRange(range, geometry).length > 0) continue;
      empty.push(...ofDay.filter((r) => {
        const own = minuteRange(r.startTime, r.endTime);
        return own !== null && own[0] >= range[0] && own[1] <= range[1];
      }));
    }
  }
  if (empty.length === 0) return [];
  const names = empty.map((r) => `${DAY_NAMES[r.dayOfWeek] ?? r.dayOfWeek} ${r.startTime}–${r.endTime}`);
  const all = empty.length === rules.length;
  return [
    {
      code: 'no_bookable_slots',
      message: `${all ? 'No weekly block can' : `Some weekly blocks (${names.join(', ')}) cannot`} hold a ${policies.sessionDurationMinutes}-minute session with ${policies.bufferBeforeMinutes} + ${policies.bufferAfterMinutes} minutes of buffer: your buffer settings may limit bookable slots (consider a 10-minute buffer)`,
      blocks: empty.map(({ dayOfWeek, startTime, endTime }) => ({ dayOfWeek, startTime, endTime })),
    },
  ];
}

function plural(count: number, noun: string): string {
  if (count === 0) return '';
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
