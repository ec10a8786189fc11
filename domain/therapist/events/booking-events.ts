import { z } from 'zod';
import type { EventOf } from '../../shared/event-of.js';
import { sealedContact, sealedText } from '../../shared/personal-data.js';

/** v1 reasons were plaintext: kept so, marked legacy (the log cannot be rewritten). */
export function legacyReason(data: unknown): unknown {
  const { reason, ...rest } = data as { reason: string | null };
  return { ...rest, reason: reason === null ? null : { legacy: { text: reason } } };
}
import { defineEvent } from '../../shared/event-codec.js';
import { cancelledBy, currency, id, instant, localDate, localTime, minutes, money, paymentMethod } from './event-fields.js';

/** v1 carried the contact in plaintext (`patient`, `reasonForConsultation`): it stays so, marked legacy. */
function upcastPlaintextContact(data: unknown): unknown {
  const { patient, reasonForConsultation, ...rest } = data as { patient: { name: string; email: string; phone: string }; reasonForConsultation: string | null };
  return { ...rest, contact: { legacy: { ...patient, reasonForConsultation } } };
}

export const bookingRequested = defineEvent(
  'BookingRequested',
  z.object({
    bookingId: id,
    /** Name, e-mail, phone and reason for consultation, sealed under the request's own data key. */
    contact: sealedContact,
    isNewPatient: z.boolean(),
    paymentMethod,
    requestedDate: localDate,
    requestedTime: localTime,
    startsAt: instant,
    endsAt: instant,
    durationMinutes: minutes,
    priceAtBooking: money,
    currency,
    /** Until then the slot is held for this patient (BR-BK-001). */
    holdExpiresAt: instant,
    /** Until then the request may still be paid (spec 4.2, one hour). */
    expiresAt: instant,
    /** Hash of the token in the patient's cancellation link; the token itself is never stored. */
    patientTokenHash: z.string().min(1),
    requestedAt: instant,
  }),
  { version: 2, upcasters: { 1: upcastPlaintextContact } },
);
export type BookingRequested = EventOf<typeof bookingRequested>;

export const bookingHoldExpired = defineEvent('BookingHoldExpired', z.object({ bookingId: id, expiredAt: instant }));
export type BookingHoldExpired = EventOf<typeof bookingHoldExpired>;

export const paymentStarted = defineEvent(
  'PaymentStarted',
  z.object({
    bookingId: id,
    method: paymentMethod,
    reference: z.string().nullable(),
    startedAt: instant,
    /**
     * Until then the payment may complete; then the request expires and its slot frees. Null in
     * payments recorded before deadlines existed (v1): those run until the session's start.
     */
    paymentExpiresAt: instant.nullable(),
  }),
  { version: 2, upcasters: { 1: (data) => ({ ...(data as object), paymentExpiresAt: null }) } },
);
export type PaymentStarted = EventOf<typeof paymentStarted>;

export const bookingConfirmed = defineEvent(
  'BookingConfirmed',
  z.object({ bookingId: id, sessionId: id, patientId: id, confirmedAt: instant }),
);
export type BookingConfirmed = EventOf<typeof bookingConfirmed>;

export const bookingCancelled = defineEvent(
  'BookingCancelled',
  // The reason is free text about the patient: sealed under the request's key (v1 kept it plaintext).
  z.object({ bookingId: id, cancelledBy, reason: sealedText.nullable(), cancelledAt: instant }),
  { version: 2, upcasters: { 1: legacyReason } },
);
export type BookingCancelled = EventOf<typeof bookingCancelled>;

/** Why a request expired: never paid in time, or a payment that started but never completed. */
export const expiryReason = z.enum(['unpaid', 'payment_not_completed']);

export const bookingExpired = defineEvent(
  'BookingExpired',
  z.object({ bookingId: id, expiredAt: instant, reason: expiryReason }),
  // Before payment deadlines (v1) only unpaid requests could expire.
  { version: 2, upcasters: { 1: (data) => ({ ...(data as object), reason: 'unpaid' }) } },
);
export type BookingExpired = EventOf<typeof bookingExpired>;

/**
 * A payment reported for a request that had already expired or been cancelled: kept, never
 * dropped, so the money can be matched and refunded or the patient re-booked.
 */
export const latePaymentReceived = defineEvent(
  'LatePaymentReceived',
  z.object({ bookingId: id, method: paymentMethod, reference: z.string().nullable(), bookingStatus: z.enum(['expired', 'cancelled']), receivedAt: instant }),
);
export type LatePaymentReceived = EventOf<typeof latePaymentReceived>;

/**
 * An expired or cancelled request leaves the therapist's working pipeline 24 h after it closed
 * (spec 6.2, BR-BK-006): recorded so the read model drops it the same way on every rebuild.
 */
export const bookingRequestArchived = defineEvent('BookingRequestArchived', z.object({ bookingId: id, archivedAt: instant }));
export type BookingRequestArchived = EventOf<typeof bookingRequestArchived>;
