import { describe, expect, it } from 'vitest';
import { nextDeadlineOf } from '../../domain/therapist/decide-expiry.js';
import type { ArchiveBookingRequest } from '../../domain/therapist/therapist-commands.js';
import { therapistDecider } from '../../domain/therapist/therapist-decider.js';
import { therapistEventCodec, type TherapistEvent } from '../../domain/therapist/therapist-events.js';
import type { RegisteredTherapist } from '../../domain/therapist/therapist-state.js';
import { specOf } from '../support/decider-spec.js';
import { event } from '../support/therapist-history.js';

/*
 * Spec 6.2 (BR-BK-006): an expired or cancelled request is cleaned out of the working pipeline 24 h
 * after it closed. The sweep asks; the calendar decides, and records it, so that every rebuild of
 * the read model drops the same rows. And the sweep learns from the calendar when to ask next.
 *
 * Calendar: Buenos Aires, Mondays 09:00–12:00; a request on Wednesday 2026-03-04 13:00 UTC for Monday 2026-03-09 09:00 local.
 */

const SEALED = { keyId: '00000000-0000-4000-8000-00000000c0de', ciphertext: 'c2VhbGVk' } as const;
const HOUR_MS = 3_600_000;
const at = (iso: string) => new Date(iso);
const plusHours = (instant: Date, hours: number) => new Date(instant.getTime() + hours * HOUR_MS);
const REQUESTED = at('2026-03-04T13:00:00.000Z');
const CLOSED = at('2026-03-04T13:20:00.000Z');
const spec = specOf(therapistDecider, therapistEventCodec);

const pending: readonly TherapistEvent[] = [
  event('TherapistRegistered', { therapistId: 't-1', name: 'Lic. Ana', slug: 'ana', email: 'ana@example.com', timezone: 'America/Argentina/Buenos_Aires', sessionPrice: 15000, currency: 'ARS', registeredAt: '2026-03-01T12:00:00.000Z' }),
  event('WeeklyScheduleDefined', { rules: [{ ruleId: 'mon', dayOfWeek: 1, startTime: '09:00', endTime: '12:00' }] }),
  event('BookingRequested', {
    bookingId: 'bk-1',
    contact: SEALED,
    isNewPatient: true,
    paymentMethod: 'bank_transfer',
    requestedDate: '2026-03-09',
    requestedTime: '09:00',
    startsAt: '2026-03-09T12:00:00.000Z',
    endsAt: '2026-03-09T12:50:00.000Z',
    durationMinutes: 50,
    priceAtBooking: 15000,
    currency: 'ARS',
    holdExpiresAt: '2026-03-04T13:10:00.000Z',
    expiresAt: '2026-03-04T14:00:00.000Z',
    patientTokenHash: 'hash-bk-1',
    requestedAt: REQUESTED.toISOString(),
  }),
];
const cancelled = [...pending, event('BookingCancelled', { bookingId: 'bk-1', cancelledBy: 'patient', reason: null, cancelledAt: CLOSED.toISOString() })];
const expired = [...pending, event('BookingHoldExpired', { bookingId: 'bk-1', expiredAt: CLOSED.toISOString() }), event('BookingExpired', { bookingId: 'bk-1', expiredAt: CLOSED.toISOString(), reason: 'unpaid' })];
const archive = (now: Date): ArchiveBookingRequest => ({ type: 'ArchiveBookingRequest', bookingId: 'bk-1', now });
const archived = (now: Date) => event('BookingRequestArchived', { bookingId: 'bk-1', archivedAt: now.toISOString() });
const bookingAfter = (history: readonly TherapistEvent[]) => {
  const booking = (spec.given(history).state as RegisteredTherapist).bookings['bk-1'];
  if (!booking) throw new Error('bk-1 is not in the state');
  return booking;
};

describe('ArchiveBookingRequest', () => {
  it('archives a cancelled request 24 h after it was cancelled', () => {
    spec.given(cancelled).when(archive(plusHours(CLOSED, 24))).then([archived(plusHours(CLOSED, 24))]);
  });

  it('archives an expired request 24 h after it expired', () => {
    spec.given(expired).when(archive(plusHours(CLOSED, 30))).then([archived(plusHours(CLOSED, 30))]);
  });

  it('not a moment before the 24 h are over', () => {
    spec.given(cancelled).when(archive(new Date(plusHours(CLOSED, 24).getTime() - 1))).then([]);
  });

  it('only once', () => {
    spec.given([...cancelled, archived(plusHours(CLOSED, 24))]).when(archive(plusHours(CLOSED, 48))).then([]);
  });

  it('never an open or a confirmed request, nor one the calendar does not know', () => {
    spec.given(pending).when(archive(plusHours(REQUESTED, 48))).then([]);
    const confirmed = [...pending, event('BookingConfirmed', { bookingId: 'bk-1', sessionId: 'se-1', patientId: 'pa-1', confirmedAt: CLOSED.toISOString() })];
    spec.given(confirmed).when(archive(plusHours(CLOSED, 48))).then([]);
    spec.given(cancelled).when({ type: 'ArchiveBookingRequest', bookingId: 'bk-unknown', now: plusHours(CLOSED, 48) }).then([]);
  });

  it('a closed request stays in the decision state until it is archived, even past the usual 7 days after its slot', () => {
    const muchLater = at('2026-04-01T12:00:00.000Z');
    // Any event of that day moves the stream's clock, which is what prunes the decision state.
    const dayLater = event('SessionCompleted', { sessionId: 'se-other', at: muchLater.toISOString() });
    spec.given([...cancelled, dayLater]).when(archive(muchLater)).then([archived(muchLater)]);
    expect((spec.given([...cancelled, archived(plusHours(CLOSED, 24)), dayLater]).state as RegisteredTherapist).bookings['bk-1']).toBeUndefined();
  });
});

describe('When the deadline sweep must look at a booking next (nextDeadlineOf)', () => {
  it('a pending request: at its hold end, then at its expiry once the hold is released', () => {
    expect(nextDeadlineOf(bookingAfter(pending))).toBe('2026-03-04T13:10:00.000Z');
    expect(nextDeadlineOf(bookingAfter([...pending, event('BookingHoldExpired', { bookingId: 'bk-1', expiredAt: '2026-03-04T13:10:00.000Z' })]))).toBe('2026-03-04T14:00:00.000Z');
  });

  it('a payment under way: at its payment deadline', () => {
    const paying = [...pending, event('PaymentStarted', { bookingId: 'bk-1', method: 'bank_transfer', reference: null, startedAt: CLOSED.toISOString(), paymentExpiresAt: '2026-03-06T13:20:00.000Z' })];
    expect(nextDeadlineOf(bookingAfter(paying))).toBe('2026-03-06T13:20:00.000Z');
  });

  it('an expired or cancelled request: when it is to be archived; then never', () => {
    expect(nextDeadlineOf(bookingAfter(cancelled))).toBe(plusHours(CLOSED, 24).toISOString());
    expect(nextDeadlineOf(bookingAfter(expired))).toBe(plusHours(CLOSED, 24).toISOString());
    expect(nextDeadlineOf(bookingAfter([...cancelled, archived(plusHours(CLOSED, 24))]))).toBeNull();
  });

  it('a confirmed request: never', () => {
    expect(nextDeadlineOf(bookingAfter([...pending, event('BookingConfirmed', { bookingId: 'bk-1', sessionId: 'se-1', patientId: 'pa-1', confirmedAt: CLOSED.toISOString() })]))).toBeNull();
  });
});
