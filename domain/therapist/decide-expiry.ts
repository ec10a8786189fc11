import { requireRegistered } from './registered.js';
import type { TherapistEvent } from './therapist-events.js';
import type { ArchiveBookingRequest, ExpireBooking, ExpireBookingHold } from './therapist-commands.js';
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

/** How long an expired or cancelled request stays in the therapist's working pipeline (spec 6.2, BR-BK-006). */
export const CLOSED_REQUEST_RETENTION_MS = 24 * 3_600_000;

/** Sent by the sweep: an expired or cancelled request closed at least 24 h ago is archived, once; anything else is a no-op. */
export function decideArchiveBookingRequest(command: ArchiveBookingRequest, state: TherapistState): TherapistEvent[] {
  const booking = requireRegistered(state).bookings[command.bookingId];
  if (!booking || booking.archived || (booking.status !== 'expired' && booking.status !== 'cancelled') || booking.closedAt === null) return [];
  if (Date.parse(booking.closedAt) + CLOSED_REQUEST_RETENTION_MS > command.now.getTime()) return [];
  return [{ type: 'BookingRequestArchived', data: { bookingId: booking.bookingId, archivedAt: command.now.toISOString() } }];
}

/**
 * The next instant something is due for a booking in its current status (hold end, expiry, payment
 * deadline, archiving), or null when nothing ever will be (confirmed, archived): when the deadline
 * sweep must look at it next.
 */
export function nextDeadlineOf(booking: BookingInState): string | null {
  switch (booking.status) {
    case 'pending_payment':
      return booking.holdReleased || Date.parse(booking.expiresAt) < Date.parse(booking.holdExpiresAt) ? booking.expiresAt : booking.holdExpiresAt;
    case 'payment_processing':
      // Payments recorded before deadlines existed run until the session starts (as evolve says).
      return booking.paymentExpiresAt ?? booking.startsAt;
    case 'expired':
    case 'cancelled':
      return booking.archived || booking.closedAt === null ? null : new Date(Date.parse(booking.closedAt) + CLOSED_REQUEST_RETENTION_MS).toISOString();
    case 'confirmed':
      return null;
  }
}
