import type { AvailabilityFacts, BusyInterval } from '../availability/availability-types.js';
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
