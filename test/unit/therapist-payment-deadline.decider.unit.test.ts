import { describe, expect, it } from 'vitest';
import { fold } from '../../domain/shared/decider.js';
import { Conflict } from '../../domain/shared/domain-error.js';
import type { RequestBooking, StartPayment } from '../../domain/therapist/therapist-commands.js';
import { therapistDecider } from '../../domain/therapist/therapist-decider.js';
import { therapistEventCodec, type TherapistEvent } from '../../domain/therapist/therapist-events.js';
import type { RegisteredTherapist } from '../../domain/therapist/therapist-state.js';
import { specOf } from '../support/decider-spec.js';
import { event } from '../support/therapist-history.js';

/** The contact as the domain sees it: sealed by the caller, opaque here. */
const SEALED = { keyId: '00000000-0000-4000-8000-00000000c0de', ciphertext: 'c2VhbGVk' } as const;

/*
 * A payment that starts but never completes must not hold its slot forever: it has a deadline (48 h
 * by default, never later than the session's start minus the minimum notice), after which the
 * request expires and the slot frees; a payment reported after that is recorded, never dropped.
 *
 * Calendar: Buenos Aires (UTC−3), Mondays 09:00–12:00, default policies (2 hours of notice).
 * Requested on Wednesday 2026-03-04 10:00 local (13:00 UTC) for Monday 2026-03-09 09:00 (12:00 UTC).
 */

const MINUTE_MS = 60_000;
const at = (iso: string) => new Date(iso);
const plusMinutes = (instant: Date, minutes: number) => new Date(instant.getTime() + minutes * MINUTE_MS);
const REQUESTED = at('2026-03-04T13:00:00.000Z');
const PAID = at('2026-03-04T13:05:00.000Z');
const TIMEOUT = 48 * 60;
const spec = specOf(therapistDecider, therapistEventCodec);

const calendar: readonly TherapistEvent[] = [
  event('TherapistRegistered', { therapistId: 't-1', name: 'Lic. Ana', slug: 'ana', email: 'ana@example.com', timezone: 'America/Argentina/Buenos_Aires', sessionPrice: 15000, currency: 'ARS', registeredAt: '2026-03-01T12:00:00.000Z' }),
  event('WeeklyScheduleDefined', { rules: [{ ruleId: 'mon', dayOfWeek: 1, startTime: '09:00', endTime: '12:00' }] }),
];

function requested(bookingId: string, date: string, now: Date): TherapistEvent {
  const startsAt = new Date(`${date}T09:00:00-03:00`);
  return event('BookingRequested', {
    bookingId,
    contact: SEALED,
    isNewPatient: true,
    paymentMethod: 'bank_transfer',
    requestedDate: date,
    requestedTime: '09:00',
    startsAt: startsAt.toISOString(),
    endsAt: plusMinutes(startsAt, 50).toISOString(),
    durationMinutes: 50,
    priceAtBooking: 15000,
    currency: 'ARS',
    holdExpiresAt: plusMinutes(now, 10).toISOString(),
    expiresAt: plusMinutes(now, 60).toISOString(),
    patientTokenHash: `hash-${bookingId}`,
    requestedAt: now.toISOString(),
  });
}

const startPayment = (now: Date, bookingId = 'bk-1'): StartPayment => ({ type: 'StartPayment', bookingId, method: 'bank_transfer', reference: 'TRX-9', paymentTimeoutMinutes: TIMEOUT, now });
const paymentStarted = (startedAt: Date, paymentExpiresAt: Date, bookingId = 'bk-1') =>
  event('PaymentStarted', { bookingId, method: 'bank_transfer', reference: 'TRX-9', startedAt: startedAt.toISOString(), paymentExpiresAt: paymentExpiresAt.toISOString() });
const expire = (now: Date) => ({ type: 'ExpireBooking', bookingId: 'bk-1', now }) as const;
const anotherPatientAsks = (now: Date): RequestBooking => ({
  type: 'RequestBooking',
  bookingId: 'bk-2',
  contact: SEALED,
  isNewPatient: true,
  paymentMethod: 'bank_transfer',
  requestedDate: '2026-03-09',
  requestedTime: '09:00',
  holdMinutes: 10,
  expirationMinutes: 60,
  patientTokenHash: 'hash-bk-2',
  calendarBusy: [],
  now,
});

const pending = [...calendar, requested('bk-1', '2026-03-09', REQUESTED)];
const DEADLINE = plusMinutes(PAID, TIMEOUT);
const paying = [...pending, paymentStarted(PAID, DEADLINE)];

describe('StartPayment sets the payment deadline', () => {
  it('48 hours after the payment started, when the session is further away than that', () => {
    spec.given(pending).when(startPayment(PAID)).then([paymentStarted(PAID, DEADLINE)]);
  });

  it('never later than the session start minus the minimum notice (2 hours)', () => {
    // Paid on Sunday 09:05 local: 48 hours would reach Tuesday; Monday 09:00 local − 2 h comes first.
    const sunday = at('2026-03-08T12:00:00.000Z');
    const history = [...calendar, requested('bk-1', '2026-03-09', sunday)];
    spec.given(history).when(startPayment(plusMinutes(sunday, 5))).then([paymentStarted(plusMinutes(sunday, 5), at('2026-03-09T10:00:00.000Z'))]);
  });

  it('at the session start itself when payment starts inside the notice already', () => {
    // Requested 2 h 05 min ahead (its hour to pay runs into the notice), paid 1 h 30 min ahead.
    const history = [...calendar, requested('bk-1', '2026-03-09', at('2026-03-09T09:55:00.000Z'))];
    const paidAt = at('2026-03-09T10:30:00.000Z');
    spec.given(history).when(startPayment(paidAt)).then([paymentStarted(paidAt, at('2026-03-09T12:00:00.000Z'))]);
  });
});

describe('At the payment deadline', () => {
  it('the request expires (payment_not_completed) and nothing else is recorded', () => {
    spec.given(paying).when(expire(DEADLINE)).then([event('BookingExpired', { bookingId: 'bk-1', expiredAt: DEADLINE.toISOString(), reason: 'payment_not_completed' })]);
  });

  it('not a moment before', () => {
    spec.given(paying).when(expire(new Date(DEADLINE.getTime() - 1))).then([]);
  });

  it('the slot frees for another patient, even before the expiry job ran', () => {
    spec.given(paying).when(anotherPatientAsks(plusMinutes(DEADLINE, -1))).thenThrows(Conflict, { code: 'slot_unavailable' });
    expect(spec.given(paying).when(anotherPatientAsks(DEADLINE)).events().map((e) => e.type)).toEqual(['BookingRequested']);
  });

  it('the booking can no longer be confirmed, even before the expiry job ran (Conflict booking_expired)', () => {
    spec.given(paying).when({ type: 'ConfirmBooking', bookingId: 'bk-1', sessionId: 'se-1', patientId: 'pa-1', now: DEADLINE }).thenThrows(Conflict, { code: 'booking_expired', details: { expiredAt: DEADLINE.toISOString() } });
  });

  it('a payment reported afterwards is recorded as late', () => {
    const expired = event('BookingExpired', { bookingId: 'bk-1', expiredAt: DEADLINE.toISOString(), reason: 'payment_not_completed' });
    const later = plusMinutes(DEADLINE, 30);
    spec.given([...paying, expired]).when(startPayment(later)).then([
      event('LatePaymentReceived', { bookingId: 'bk-1', method: 'bank_transfer', reference: 'TRX-9', bookingStatus: 'expired', receivedAt: later.toISOString() }),
    ]);
  });
});

describe('Events written before payment deadlines and sealed reasons existed (schema v1)', () => {
  it('are upcast: a payment without a deadline runs until the session starts; an expiry was for an unpaid request', () => {
    const payment = therapistEventCodec.decode({ type: 'PaymentStarted', schemaVersion: 1, data: { bookingId: 'bk-1', method: 'bank_transfer', reference: null, startedAt: PAID.toISOString() } });
    expect(payment).toEqual(event('PaymentStarted', { bookingId: 'bk-1', method: 'bank_transfer', reference: null, startedAt: PAID.toISOString(), paymentExpiresAt: null }));
    const expiry = therapistEventCodec.decode({ type: 'BookingExpired', schemaVersion: 1, data: { bookingId: 'bk-1', expiredAt: PAID.toISOString() } });
    expect(expiry).toEqual(event('BookingExpired', { bookingId: 'bk-1', expiredAt: PAID.toISOString(), reason: 'unpaid' }));
    // Cancellation reasons were plaintext too: kept, marked legacy, for the projection to show until forgotten.
    expect(therapistEventCodec.decode({ type: 'BookingCancelled', schemaVersion: 1, data: { bookingId: 'bk-1', cancelledBy: 'patient', reason: 'Un viaje', cancelledAt: PAID.toISOString() } })).toEqual(
      event('BookingCancelled', { bookingId: 'bk-1', cancelledBy: 'patient', reason: { legacy: { text: 'Un viaje' } }, cancelledAt: PAID.toISOString() }),
    );
    expect(therapistEventCodec.decode({ type: 'SessionCancelled', schemaVersion: 1, data: { sessionId: 'se-1', cancelledBy: 'therapist', reason: null, cancelledAt: PAID.toISOString() } })).toEqual(
      event('SessionCancelled', { sessionId: 'se-1', cancelledBy: 'therapist', reason: null, cancelledAt: PAID.toISOString() }),
    );
    if (!payment) throw new Error('the v1 payment must decode');
    const state = fold(therapistDecider, [...pending, payment]) as RegisteredTherapist;
    expect(state.bookings['bk-1']).toMatchObject({ status: 'payment_processing', paymentExpiresAt: '2026-03-09T12:00:00.000Z' });
  });
});

describe('A payment reported for a payment past its deadline, before the expiry job ran', () => {
  it('records the expiry first, then the payment as late', () => {
    const later = plusMinutes(DEADLINE, 5);
    spec.given(paying).when(startPayment(later)).then([
      event('BookingExpired', { bookingId: 'bk-1', expiredAt: later.toISOString(), reason: 'payment_not_completed' }),
      event('LatePaymentReceived', { bookingId: 'bk-1', method: 'bank_transfer', reference: 'TRX-9', bookingStatus: 'expired', receivedAt: later.toISOString() }),
    ]);
  });
});
