import { z } from 'zod';
import type { EventOf } from '../../shared/event-of.js';
import { defineEvent } from '../../shared/event-codec.js';
import { cancelledBy, currency, id, instant, localDate, localTime, minutes, money, paymentMethod } from './event-fields.js';

export const bookingRequested = defineEvent(
  'BookingRequested',
  z.object({
    bookingId: id,
    patient: z.object({ name: z.string(), email: z.string(), phone: z.string() }),
    isNewPatient: z.boolean(),
    reasonForConsultation: z.string().nullable(),
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
);
export type BookingRequested = EventOf<typeof bookingRequested>;

export const bookingHoldExpired = defineEvent('BookingHoldExpired', z.object({ bookingId: id, expiredAt: instant }));
export type BookingHoldExpired = EventOf<typeof bookingHoldExpired>;

export const paymentStarted = defineEvent(
  'PaymentStarted',
  z.object({ bookingId: id, method: paymentMethod, reference: z.string().nullable(), startedAt: instant }),
);
export type PaymentStarted = EventOf<typeof paymentStarted>;

export const bookingConfirmed = defineEvent(
  'BookingConfirmed',
  z.object({ bookingId: id, sessionId: id, patientId: id, confirmedAt: instant }),
);
export type BookingConfirmed = EventOf<typeof bookingConfirmed>;

export const bookingCancelled = defineEvent(
  'BookingCancelled',
  z.object({ bookingId: id, cancelledBy, reason: z.string().nullable(), cancelledAt: instant }),
);
export type BookingCancelled = EventOf<typeof bookingCancelled>;

export const bookingExpired = defineEvent('BookingExpired', z.object({ bookingId: id, expiredAt: instant }));
export type BookingExpired = EventOf<typeof bookingExpired>;
