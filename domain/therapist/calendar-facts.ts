import type { AvailabilityFacts, BusyInterval } from '../availability/availability-types.js';
import { formatLocalDate, localDayOf, timeZone } from '../availability/time.js';
import { reservedIntervals } from '../recurrence/reservations.js';
import type { RegisteredTherapist } from './therapist-state.js';

/**
 * The write side's view of availability: the same facts the read model projects, taken from the
 * folded stream, so a decision and the public calendar apply one definition of a free slot.
 * `excludeBookingId` leaves out a booking's own hold when that booking is being re-checked.
 */
export function calendarFacts(state: RegisteredTherapist, excludeBookingId?: string): AvailabilityFacts {
  return {
    policies: state.policies,
    rules: state.rules,
    exceptions: Object.values(state.exceptions),
    busy: busyIntervals(state, excludeBookingId),
  };
}

/**
 * The facts a patient's request is decided on: also the slots active recurrences hold ahead of
 * generation, from the day before `now` to the end of the booking horizon.
 */
export function calendarFactsForPatients(state: RegisteredTherapist, now: Date): AvailabilityFacts {
  const facts = calendarFacts(state);
  const today = localDayOf(timeZone(state.policies.timezone), now.getTime());
  const reserved = reservedIntervals(Object.values(state.recurrences), formatLocalDate(today - 1), formatLocalDate(today + state.policies.maxAdvanceBookingDays + 1));
  return reserved.length === 0 ? facts : { ...facts, busy: [...facts.busy, ...reserved] };
}

export function busyIntervals(state: RegisteredTherapist, excludeBookingId?: string): BusyInterval[] {
  const busy: BusyInterval[] = [];
  for (const session of Object.values(state.sessions)) {
    if (session.status !== 'cancelled') busy.push({ startsAt: session.startsAt, endsAt: session.endsAt, kind: 'session', expiresAt: null });
  }
  for (const booking of Object.values(state.bookings)) {
    if (booking.bookingId === excludeBookingId) continue;
    // A request being paid for holds its slot until its payment deadline; an unpaid one only until its hold ends.
    if (booking.status === 'payment_processing') busy.push({ startsAt: booking.startsAt, endsAt: booking.endsAt, kind: 'hold', expiresAt: booking.paymentExpiresAt });
    else if (booking.status === 'pending_payment' && !booking.holdReleased) {
      busy.push({ startsAt: booking.startsAt, endsAt: booking.endsAt, kind: 'hold', expiresAt: booking.holdExpiresAt });
    }
  }
  return busy;
}
