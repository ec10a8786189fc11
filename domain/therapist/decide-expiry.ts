import { requireRegistered } from './registered.js';
import type { TherapistEvent } from './therapist-events.js';
import type { ExpireBooking, ExpireBookingHold } from './therapist-commands.js';
import type { BookingInState, TherapistState } from './therapist-state.js';

/** Sent by the hold-expiry job: a no-op when the request moved on in the meantime. */
export function decideExpireBookingHold(command: ExpireBookingHold, state: TherapistState): TherapistEvent[] {
  const booking = requireRegistered(state).bookings[command.bookingId];
  if (booking?.status !== 'pending_payment' || booking.holdReleased) return [];
  if (Date.parse(booking.holdExpiresAt) > command.now.getTime()) return [];
  return [{ type: 'BookingHoldExpired', data: { bookingId: booking.bookingId, expiredAt: command.now.toISOString() } }];
}

/**
 * Sent by the expiry jobs and the sweep: an unpaid request past its expiry, or a payment that did
 * not complete by its deadline, expires and frees its slot; anything else is a no-op.
 */
export function decideExpireBooking(command: ExpireBooking, state: TherapistState): TherapistEvent[] {
  const booking = requireRegistered(state).bookings[command.bookingId];
  const now = command.now.getTime();
  if (booking?.status === 'pending_payment' && Date.parse(booking.expiresAt) <= now) return expiryEvents(booking, command.now, 'unpaid');
  if (booking?.status === 'payment_processing' && booking.paymentExpiresAt !== null && Date.parse(booking.paymentExpiresAt) <= now) {
    return expiryEvents(booking, command.now, 'payment_not_completed');
  }
  return [];
}

/**
 * A request's hold never outlives the request, so a request that expires with its hold still
 * recorded as held records the hold's end first. The two deadline jobs may run in either order
 * (at a restart both are due at once); the history tells the same story either way.
 */
export function expiryEvents(booking: BookingInState, now: Date, reason: 'unpaid' | 'payment_not_completed'): TherapistEvent[] {
  const expiredAt = now.toISOString();
  const expired: TherapistEvent = { type: 'BookingExpired', data: { bookingId: booking.bookingId, expiredAt, reason } };
  return booking.status === 'pending_payment' && !booking.holdReleased ? [{ type: 'BookingHoldExpired', data: { bookingId: booking.bookingId, expiredAt } }, expired] : [expired];
}
