import { intervalRelation } from '../availability/slot-search.js';
import { Conflict, Forbidden, NotFound } from '../shared/domain-error.js';
import { calendarFacts } from './calendar-facts.js';
import type { BookingInState, RegisteredTherapist } from './therapist-state.js';

/** The checks the booking commands share: the booking exists, is still open, and its slot is free. */
export function findBooking(therapist: RegisteredTherapist, bookingId: string): BookingInState {
  const booking = therapist.bookings[bookingId];
  if (!booking) throw new NotFound('booking', bookingId);
  return booking;
}

export const PATIENT_TOKEN_MISMATCH = 'The token does not match this booking';

/**
 * The patient's link to their booking: the token whose hash the booking holds now (none once
 * revoked), until `linkHours` after the session ends.
 */
export function requirePatientLink(booking: BookingInState, tokenHash: string | null, now: Date, linkHours: number): void {
  if (booking.patientTokenHash === null || tokenHash !== booking.patientTokenHash) throw new Forbidden(PATIENT_TOKEN_MISMATCH);
  if (now.getTime() > Date.parse(booking.endsAt) + linkHours * 3_600_000) throw new Forbidden('The booking link has expired');
}

/**
 * A request still waiting for its payment: not closed, and not past its expiry or its payment
 * deadline, even if the job that records that has not run yet.
 */
export function requireOpen(booking: BookingInState, now: Date): void {
  if (booking.status === 'cancelled' || booking.status === 'expired' || booking.status === 'confirmed') {
    throw new Conflict(`booking_${booking.status}`, `This booking is already ${booking.status}`, { bookingId: booking.bookingId });
  }
  if (booking.status === 'pending_payment' && Date.parse(booking.expiresAt) <= now.getTime()) {
    throw new Conflict('booking_expired', 'This booking request expired before payment', { bookingId: booking.bookingId, expiredAt: booking.expiresAt });
  }
  if (booking.status === 'payment_processing' && booking.paymentExpiresAt !== null && Date.parse(booking.paymentExpiresAt) <= now.getTime()) {
    throw new Conflict('booking_expired', 'The payment of this booking did not complete in time', { bookingId: booking.bookingId, expiredAt: booking.paymentExpiresAt });
  }
}

export function requireSlotStillFree(therapist: RegisteredTherapist, booking: BookingInState, now: Date): void {
  const relation = intervalRelation(calendarFacts(therapist, booking.bookingId), booking, now);
  if (relation !== 'free') {
    throw new Conflict('slot_unavailable', 'The slot of this booking was taken meanwhile', { bookingId: booking.bookingId, startsAt: booking.startsAt });
  }
}
