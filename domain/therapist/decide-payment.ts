import { requireOpen, requireSlotStillFree, findBooking } from './booking-guards.js';
import { expiryEvents } from './decide-expiry.js';
import { requireRegistered } from './registered.js';
import type { TherapistEvent } from './therapist-events.js';
import type { StartPayment } from './therapist-commands.js';
import type { BookingInState, RegisteredTherapist, TherapistState } from './therapist-state.js';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

/**
 * Payment under way: the request stops expiring and keeps its slot until its payment deadline
 * (BR-BK-006). A payment reported for a request that is already over is recorded, never dropped.
 */
export function decideStartPayment(command: StartPayment, state: TherapistState): TherapistEvent[] {
  const therapist = requireRegistered(state);
  const booking = findBooking(therapist, command.bookingId);
  if (booking.status === 'payment_processing') {
    // Past its deadline, its job not run yet: the expiry is what happened first, then this payment.
    if (booking.paymentExpiresAt !== null && Date.parse(booking.paymentExpiresAt) <= command.now.getTime()) {
      return [...expiryEvents(booking, command.now, 'payment_not_completed'), latePayment(command, 'expired')];
    }
    return [];
  }
  if (booking.status === 'expired' || booking.status === 'cancelled') return [latePayment(command, booking.status)];
  if (booking.status === 'pending_payment' && Date.parse(booking.expiresAt) <= command.now.getTime()) {
    // Expired by the clock, its job not run yet: the expiry is what happened first.
    return [...expiryEvents(booking, command.now, 'unpaid'), latePayment(command, 'expired')];
  }
  requireOpen(booking, command.now);
  // The hold may have lapsed while the patient paid: the slot must still be free for them.
  requireSlotStillFree(therapist, booking, command.now);
  return [
    {
      type: 'PaymentStarted',
      data: {
        bookingId: booking.bookingId,
        method: command.method,
        reference: command.reference,
        startedAt: command.now.toISOString(),
        paymentExpiresAt: paymentDeadline(therapist, booking, command).toISOString(),
      },
    },
  ];
}

/**
 * The payment timeout, but never later than the session's start minus the minimum notice: the
 * therapist must know in time whether the session happens. When payment starts inside that notice
 * already, the session's start itself is the deadline (nothing can be confirmed after it).
 */
function paymentDeadline(therapist: RegisteredTherapist, booking: BookingInState, command: StartPayment): Date {
  const startsAt = Date.parse(booking.startsAt);
  const byTimeout = command.now.getTime() + command.paymentTimeoutMinutes * MINUTE_MS;
  const byNotice = startsAt - therapist.policies.minAdvanceBookingHours * HOUR_MS;
  return new Date(byNotice > command.now.getTime() ? Math.min(byTimeout, byNotice) : Math.min(byTimeout, startsAt));
}

function latePayment(command: StartPayment, bookingStatus: 'expired' | 'cancelled'): TherapistEvent {
  return {
    type: 'LatePaymentReceived',
    data: { bookingId: command.bookingId, method: command.method, reference: command.reference, bookingStatus, receivedAt: command.now.toISOString() },
  };
}
