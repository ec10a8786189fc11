import { describe, expect, it } from 'vitest';
import { defaultBookingPolicies, type AvailabilityRule, type BookingPolicies } from '../../domain/availability/availability-types.js';
import { fold } from '../../domain/shared/decider.js';
import { Conflict, Forbidden, NotFound } from '../../domain/shared/domain-error.js';
import type { CancelBooking, ConfirmBooking, RecordSessionOutcome, ReissuePatientToken, RequestBooking, RevokePatientToken, StartPayment } from '../../domain/therapist/therapist-commands.js';
import { therapistDecider } from '../../domain/therapist/therapist-decider.js';
import { therapistEventCodec, type TherapistEvent } from '../../domain/therapist/therapist-events.js';
import type { RegisteredTherapist } from '../../domain/therapist/therapist-state.js';
import { specOf } from '../support/decider-spec.js';
import { event } from '../support/therapist-history.js';

/** The contact as the domain sees it: sealed by the caller, opaque here. */
const SEALED = { keyId: '00000000-0000-4000-8000-00000000c0de', ciphertext: 'c2VhbGVk' } as const;

/*
 * The therapist's calendar, booking side: request (a hold on the slot), payment, confirmation (the
 * session), cancellation, expiry jobs, session outcomes; and how the stream state forgets the past.
 * Every emitted event is also checked to survive the stream codec (JSON + zod schema).
 *
 * Calendar of these specifications: a therapist in Buenos Aires (UTC−3, no DST) who works Mondays
 * 09:00–12:00 with the default policies (50-minute sessions + 10 minutes of buffer after, so slots
 * at 09:00, 10:00 and 11:00; 2 hours of notice; 60 days of horizon) and charges ARS 15 000.
 * "Now" is Wednesday 2026-03-04 10:00 local (13:00 UTC); requests hold their slot 10 minutes and
 * may be paid for 60 minutes. The Monday asked for is 2026-03-09: 09:00 local is 12:00 UTC.
 */

const ZONE = 'America/Argentina/Buenos_Aires';
const NOW = new Date('2026-03-04T13:00:00.000Z');
const MONDAY = '2026-03-09';
const HOLD_MINUTES = 10;
const EXPIRATION_MINUTES = 60;
const HOLD_ENDS = new Date('2026-03-04T13:10:00.000Z');
const REQUEST_EXPIRES = new Date('2026-03-04T14:00:00.000Z');
const NINE_UTC = '2026-03-09T12:00:00.000Z';
const MINUTE_MS = 60_000;

const minutesAfter = (instant: Date, minutes: number) => new Date(instant.getTime() + minutes * MINUTE_MS);
const daysAfter = (instant: Date, days: number) => minutesAfter(instant, days * 1440);

/** The UTC instants of a 50-minute session at a Buenos Aires wall-clock time. */
function slotOf(date: string, time: string, durationMinutes = 50): { startsAt: string; endsAt: string } {
  const start = new Date(`${date}T${time}:00-03:00`);
  return { startsAt: start.toISOString(), endsAt: minutesAfter(start, durationMinutes).toISOString() };
}

const spec = specOf(therapistDecider, therapistEventCodec);


const registered = event('TherapistRegistered', {
  therapistId: 'therapist-ana',
  name: 'Lic. Ana Pérez',
  slug: 'ana-perez',
  email: 'ana@example.com',
  timezone: ZONE,
  sessionPrice: 15000,
  currency: 'ARS',
  registeredAt: '2026-03-01T12:00:00.000Z',
});
const mondayMorning: AvailabilityRule = { ruleId: 'mon-am', dayOfWeek: 1, startTime: '09:00', endTime: '12:00' };
const calendar: readonly TherapistEvent[] = [registered, event('WeeklyScheduleDefined', { rules: [mondayMorning] })];
const policiesChanged = (changes: Partial<BookingPolicies>) => event('BookingPoliciesChanged', { ...defaultBookingPolicies(ZONE), ...changes });

/* ---------- Commands ---------- */

interface Request {
  readonly bookingId?: string;
  readonly date?: string;
  readonly time?: string;
  readonly now?: Date;
  readonly tokenHash?: string;
}

function requestBooking({ bookingId = 'bk-1', date = MONDAY, time = '09:00', now = NOW, tokenHash = `hash-${bookingId}` }: Request = {}): RequestBooking {
  return {
    type: 'RequestBooking',
    bookingId,
    contact: SEALED,
    isNewPatient: true,
    paymentMethod: 'mercadopago',
    requestedDate: date,
    requestedTime: time,
    holdMinutes: HOLD_MINUTES,
    expirationMinutes: EXPIRATION_MINUTES,
    patientTokenHash: tokenHash,
    calendarBusy: [],
    now,
  };
}

const PAYMENT_TIMEOUT_MINUTES = 48 * 60;
const PATIENT_LINK_HOURS = 24;
const startPayment = (bookingId: string, now: Date): StartPayment => ({ type: 'StartPayment', bookingId, method: 'bank_transfer', reference: 'TRX-001', paymentTimeoutMinutes: PAYMENT_TIMEOUT_MINUTES, now });
const confirmBooking = (bookingId: string, now: Date, sessionId = `se-${bookingId}`): ConfirmBooking => ({ type: 'ConfirmBooking', bookingId, sessionId, patientId: 'pa-juan', now });
/** Reasons come sealed from the command layer; the domain passes them on. */
const IMPREVISTO = { keyId: '00000000-0000-4000-8000-0000000000e1', ciphertext: 'aW1wcmV2aXN0bw==' } as const;
const ENFERMEDAD = { keyId: '00000000-0000-4000-8000-0000000000e2', ciphertext: 'ZW5mZXJtZWRhZA==' } as const;
const cancelByTherapist = (bookingId: string, now: Date): CancelBooking => ({ type: 'CancelBooking', bookingId, by: 'therapist', patientTokenHash: null, reason: IMPREVISTO, patientLinkHours: PATIENT_LINK_HOURS, now });
const cancelByPatient = (bookingId: string, tokenHash: string | null, now: Date): CancelBooking => ({ type: 'CancelBooking', bookingId, by: 'patient', patientTokenHash: tokenHash, reason: null, patientLinkHours: PATIENT_LINK_HOURS, now });
const recordOutcome = (outcome: RecordSessionOutcome['outcome'], now: Date, sessionId = 'se-bk-1'): RecordSessionOutcome => ({ type: 'RecordSessionOutcome', sessionId, outcome, reason: outcome === 'cancelled' ? ENFERMEDAD : null, now });

/* ---------- Events ---------- */

/** What RequestBooking decides for the same request on the default calendar. */
function bookingRequested({ bookingId = 'bk-1', date = MONDAY, time = '09:00', now = NOW, tokenHash = `hash-${bookingId}` }: Request = {}): TherapistEvent {
  return event('BookingRequested', {
    bookingId,
    contact: SEALED,
    isNewPatient: true,
    paymentMethod: 'mercadopago',
    requestedDate: date,
    requestedTime: time,
    ...slotOf(date, time),
    durationMinutes: 50,
    priceAtBooking: 15000,
    currency: 'ARS',
    holdExpiresAt: minutesAfter(now, HOLD_MINUTES).toISOString(),
    expiresAt: minutesAfter(now, EXPIRATION_MINUTES).toISOString(),
    patientTokenHash: tokenHash,
    requestedAt: now.toISOString(),
  });
}

const holdExpired = (bookingId: string, at: Date) => event('BookingHoldExpired', { bookingId, expiredAt: at.toISOString() });
/** Payments here start days before the session: their deadline is the 48-hour timeout. */
const paymentStarted = (bookingId: string, at: Date) =>
  event('PaymentStarted', { bookingId, method: 'bank_transfer', reference: 'TRX-001', startedAt: at.toISOString(), paymentExpiresAt: minutesAfter(at, PAYMENT_TIMEOUT_MINUTES).toISOString() });
const latePayment = (bookingId: string, bookingStatus: 'expired' | 'cancelled', at: Date) =>
  event('LatePaymentReceived', { bookingId, method: 'bank_transfer', reference: 'TRX-001', bookingStatus, receivedAt: at.toISOString() });
const bookingExpired = (bookingId: string, at: Date, reason: 'unpaid' | 'payment_not_completed' = 'unpaid') => event('BookingExpired', { bookingId, expiredAt: at.toISOString(), reason });
const bookingCancelled = (bookingId: string, by: 'patient' | 'therapist', at: Date, reason: typeof IMPREVISTO | null = by === 'therapist' ? IMPREVISTO : null) =>
  event('BookingCancelled', { bookingId, cancelledBy: by, reason, cancelledAt: at.toISOString() });

/** What ConfirmBooking decides: the booking is confirmed and its session exists from now on. */
function confirmed({ bookingId = 'bk-1', date = MONDAY, time = '09:00', at = minutesAfter(NOW, 5) }: { bookingId?: string; date?: string; time?: string; at?: Date } = {}): TherapistEvent[] {
  const sessionId = `se-${bookingId}`;
  return [
    event('BookingConfirmed', { bookingId, sessionId, patientId: 'pa-juan', confirmedAt: at.toISOString() }),
    event('SessionScheduled', {
      sessionId,
      patientId: 'pa-juan',
      bookingId,
      recurrenceId: null,
      ...slotOf(date, time),
      durationMinutes: 50,
      price: 15000,
      paymentStatus: 'paid',
      source: 'booking',
      occurrenceDate: null,
    }),
  ];
}

/** Booking bk-1 for Monday 09:00, confirmed five minutes after the request: session se-bk-1. */
const withSession: readonly TherapistEvent[] = [...calendar, bookingRequested(), ...confirmed()];
const SESSION_START = new Date(NINE_UTC);

describe('RequestBooking', () => {
  it('takes an available slot: BookingRequested with its instants, hold, expiry and the price at booking time', () => {
    spec.given(calendar).when(requestBooking()).then([
      event('BookingRequested', {
        bookingId: 'bk-1',
        contact: SEALED,
        isNewPatient: true,
        paymentMethod: 'mercadopago',
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
        requestedAt: '2026-03-04T13:00:00.000Z',
      }),
    ]);
  });

  it('takes the session length from the policy in force (60 minutes: 09:00–10:00)', () => {
    const [requested] = spec.given([...calendar, policiesChanged({ sessionDurationMinutes: 60 })]).when(requestBooking()).events();
    expect(requested?.data).toMatchObject({ startsAt: '2026-03-09T12:00:00.000Z', endsAt: '2026-03-09T13:00:00.000Z', durationMinutes: 60 });
  });

  it('records nothing for a request retried with the same booking id', () => {
    spec.given([...calendar, bookingRequested()]).when(requestBooking({ now: minutesAfter(NOW, 1) })).then([]);
  });

  describe('refuses a slot held by another live request (Conflict slot_unavailable)', () => {
    const held = [...calendar, bookingRequested()];
    const secondRequest = requestBooking({ bookingId: 'bk-2', now: minutesAfter(NOW, 5) });

    it('offering the five available slots nearest to the one asked for, nearest first', () => {
      spec
        .given(held)
        .when(secondRequest)
        .thenThrows(Conflict, {
          code: 'slot_unavailable',
          message: 'Someone else is booking this slot right now',
          details: {
            requestedDate: MONDAY,
            requestedTime: '09:00',
            alternatives: [
              { date: '2026-03-09', time: '10:00', startsAt: '2026-03-09T13:00:00.000Z' },
              { date: '2026-03-09', time: '11:00', startsAt: '2026-03-09T14:00:00.000Z' },
              { date: '2026-03-16', time: '09:00', startsAt: '2026-03-16T12:00:00.000Z' },
              { date: '2026-03-16', time: '10:00', startsAt: '2026-03-16T13:00:00.000Z' },
              { date: '2026-03-16', time: '11:00', startsAt: '2026-03-16T14:00:00.000Z' },
            ],
          },
        });
    });

    it('offering only slots that can be booked (none past the horizon), so possibly fewer than five', () => {
      spec
        .given([...held, policiesChanged({ maxAdvanceBookingDays: 6 })])
        .when(secondRequest)
        .thenThrows(Conflict, { code: 'slot_unavailable', details: { alternatives: [{ time: '10:00' }, { time: '11:00' }] } });
    });

    it('until the very instant the hold ends', () => {
      spec.given(held).when(requestBooking({ bookingId: 'bk-2', now: new Date(HOLD_ENDS.getTime() - 1) })).thenThrows(Conflict, { code: 'slot_unavailable' });
    });

    it('and after the hold ends too, while the first patient’s payment is under way', () => {
      spec
        .given([...held, paymentStarted('bk-1', minutesAfter(NOW, 5))])
        .when(requestBooking({ bookingId: 'bk-2', now: minutesAfter(NOW, 30) }))
        .thenThrows(Conflict, { code: 'slot_unavailable', message: 'Someone else is booking this slot right now' });
    });
  });

  it('refuses a slot booked by a session (Conflict slot_unavailable, already booked)', () => {
    spec
      .given(withSession)
      .when(requestBooking({ bookingId: 'bk-2', now: minutesAfter(NOW, 10) }))
      .thenThrows(Conflict, { code: 'slot_unavailable', message: 'This slot is already booked' });
  });

  it('keeps the slots next to a session bookable when the buffer fits (10:00 after a 09:00–09:50 session)', () => {
    spec.given(withSession).when(requestBooking({ bookingId: 'bk-2', time: '10:00' })).then([bookingRequested({ bookingId: 'bk-2', time: '10:00' })]);
  });

  it('refuses a slot whose buffer would collide with a session’s (09:55 after a 09:00–09:50 session, 55-minute slot step)', () => {
    spec
      .given([...withSession, policiesChanged({ slotStepMinutes: 55 })])
      .when(requestBooking({ bookingId: 'bk-2', time: '09:55' }))
      .thenThrows(Conflict, { code: 'slot_unavailable', message: 'This slot can no longer be booked' });
  });

  describe('respects the notice window (2 hours)', () => {
    const mondayAtEight = new Date('2026-03-09T11:00:00.000Z');

    it('refuses a slot starting sooner than the notice (09:00 asked at 08:00)', () => {
      spec
        .given(calendar)
        .when(requestBooking({ now: mondayAtEight }))
        .thenThrows(Conflict, { code: 'slot_unavailable', message: 'This slot can no longer be booked', details: { alternatives: [{ time: '10:00' }, { time: '11:00' }, { date: '2026-03-16' }, { date: '2026-03-16' }, { date: '2026-03-16' }] } });
    });

    it('accepts a slot exactly the notice away (10:00 asked at 08:00)', () => {
      spec.given(calendar).when(requestBooking({ time: '10:00', now: mondayAtEight })).then([bookingRequested({ time: '10:00', now: mondayAtEight })]);
    });
  });

  describe('respects the horizon (60 days: until Sunday 2026-05-03 10:00)', () => {
    it('refuses a slot beyond it (Monday 2026-05-04 09:00)', () => {
      spec.given(calendar).when(requestBooking({ date: '2026-05-04' })).thenThrows(Conflict, { code: 'slot_unavailable', message: 'This slot can no longer be booked' });
    });

    it('accepts the last Monday within it (2026-04-27 09:00)', () => {
      spec.given(calendar).when(requestBooking({ date: '2026-04-27' })).then([bookingRequested({ date: '2026-04-27' })]);
    });
  });

  describe('refuses a time at which no session starts (Conflict slot_unavailable)', () => {
    it.each([
      ['between two slots', MONDAY, '09:30'],
      ['on a day without availability', '2026-03-10', '09:00'],
      ['at the end of the block', MONDAY, '12:00'],
      ['written out of format', MONDAY, '9:00'],
      ['on a date that does not exist', '2026-02-30', '09:00'],
    ])('%s (%s %s)', (_name, date, time) => {
      spec.given(calendar).when(requestBooking({ date, time })).thenThrows(Conflict, { code: 'slot_unavailable', message: 'No session can start at this date and time' });
    });

    it('on a day blocked by an all-day exception', () => {
      const dayOff = event('AvailabilityExceptionAdded', { exceptionId: 'ex-1', date: MONDAY, allDay: true, startTime: null, endTime: null, isAvailable: false, reason: null });
      spec.given([...calendar, dayOff]).when(requestBooking()).thenThrows(Conflict, { code: 'slot_unavailable', message: 'No session can start at this date and time' });
    });
  });

  it('accepts a slot opened by extra availability (Saturday 10:00–11:00)', () => {
    const extra = event('AvailabilityExceptionAdded', { exceptionId: 'ex-1', date: '2026-03-07', allDay: false, startTime: '10:00', endTime: '11:00', isAvailable: true, reason: null });
    spec.given([...calendar, extra]).when(requestBooking({ date: '2026-03-07', time: '10:00' })).then([bookingRequested({ date: '2026-03-07', time: '10:00' })]);
  });

  describe('finds the slot available again', () => {
    const held = [...calendar, bookingRequested()];

    it('once the hold has ended by time, even before any job recorded it', () => {
      spec.given(held).when(requestBooking({ bookingId: 'bk-2', now: HOLD_ENDS })).then([bookingRequested({ bookingId: 'bk-2', now: HOLD_ENDS })]);
    });

    it('after BookingHoldExpired was recorded', () => {
      const later = minutesAfter(HOLD_ENDS, 1);
      spec.given([...held, holdExpired('bk-1', HOLD_ENDS)]).when(requestBooking({ bookingId: 'bk-2', now: later })).then([bookingRequested({ bookingId: 'bk-2', now: later })]);
    });

    it('after the request was cancelled', () => {
      const later = minutesAfter(NOW, 2);
      spec.given([...held, bookingCancelled('bk-1', 'patient', minutesAfter(NOW, 1))]).when(requestBooking({ bookingId: 'bk-2', now: later })).then([bookingRequested({ bookingId: 'bk-2', now: later })]);
    });

    it('after the request expired', () => {
      const later = minutesAfter(REQUEST_EXPIRES, 1);
      spec.given([...held, bookingExpired('bk-1', REQUEST_EXPIRES)]).when(requestBooking({ bookingId: 'bk-2', now: later })).then([bookingRequested({ bookingId: 'bk-2', now: later })]);
    });

    it('after its session was cancelled', () => {
      const later = minutesAfter(NOW, 20);
      spec
        .given([...withSession, event('SessionCancelled', { sessionId: 'se-bk-1', cancelledBy: 'therapist', reason: null, cancelledAt: minutesAfter(NOW, 10).toISOString() })])
        .when(requestBooking({ bookingId: 'bk-2', now: later }))
        .then([bookingRequested({ bookingId: 'bk-2', now: later })]);
    });
  });
});

describe('StartPayment', () => {
  const pending = [...calendar, bookingRequested()];

  it('moves a pending request to payment under way', () => {
    spec.given(pending).when(startPayment('bk-1', minutesAfter(NOW, 5))).then([paymentStarted('bk-1', minutesAfter(NOW, 5))]);
  });

  it('records nothing when payment is already under way (a retried notification)', () => {
    spec.given([...pending, paymentStarted('bk-1', minutesAfter(NOW, 5))]).when(startPayment('bk-1', minutesAfter(NOW, 6))).then([]);
  });

  it('still accepts payment after the hold lapsed, while the slot is still free', () => {
    const later = minutesAfter(NOW, 30);
    spec.given([...pending, holdExpired('bk-1', HOLD_ENDS)]).when(startPayment('bk-1', later)).then([paymentStarted('bk-1', later)]);
  });

  it('refuses payment after the hold lapsed when another request took the slot (Conflict slot_unavailable)', () => {
    spec
      .given([...pending, holdExpired('bk-1', HOLD_ENDS), bookingRequested({ bookingId: 'bk-2', now: minutesAfter(NOW, 20) })])
      .when(startPayment('bk-1', minutesAfter(NOW, 25)))
      .thenThrows(Conflict, { code: 'slot_unavailable', details: { bookingId: 'bk-1', startsAt: NINE_UTC } });
  });

  it('records a payment for a request past its expiry as late, after the expiry its job had not recorded yet', () => {
    spec.given(pending).when(startPayment('bk-1', REQUEST_EXPIRES)).then([holdExpired('bk-1', REQUEST_EXPIRES), bookingExpired('bk-1', REQUEST_EXPIRES), latePayment('bk-1', 'expired', REQUEST_EXPIRES)]);
  });

  it('records a payment for an expired request as late: the money is never dropped, the slot not taken back', () => {
    const later = minutesAfter(REQUEST_EXPIRES, 1);
    spec.given([...pending, bookingExpired('bk-1', REQUEST_EXPIRES)]).when(startPayment('bk-1', later)).then([latePayment('bk-1', 'expired', later)]);
  });

  it('records a payment for a cancelled request as late', () => {
    const later = minutesAfter(NOW, 2);
    spec.given([...pending, bookingCancelled('bk-1', 'patient', minutesAfter(NOW, 1))]).when(startPayment('bk-1', later)).then([latePayment('bk-1', 'cancelled', later)]);
  });

  it('refuses a confirmed booking (Conflict booking_confirmed)', () => {
    spec.given(withSession).when(startPayment('bk-1', minutesAfter(NOW, 10))).thenThrows(Conflict, { code: 'booking_confirmed' });
  });

  it('answers an unknown booking with NotFound booking', () => {
    spec.given(calendar).when(startPayment('bk-9', NOW)).thenThrows(NotFound, { code: 'booking_not_found', id: 'bk-9' });
  });
});

describe('ConfirmBooking', () => {
  const pending = [...calendar, bookingRequested()];
  const confirmedAt = minutesAfter(NOW, 5);

  it('confirms a pending request and schedules its session, paid, at the booked time and price', () => {
    spec.given(pending).when(confirmBooking('bk-1', confirmedAt)).then([
      event('BookingConfirmed', { bookingId: 'bk-1', sessionId: 'se-bk-1', patientId: 'pa-juan', confirmedAt: '2026-03-04T13:05:00.000Z' }),
      event('SessionScheduled', {
        sessionId: 'se-bk-1',
        patientId: 'pa-juan',
        bookingId: 'bk-1',
        recurrenceId: null,
        startsAt: '2026-03-09T12:00:00.000Z',
        endsAt: '2026-03-09T12:50:00.000Z',
        durationMinutes: 50,
        price: 15000,
        paymentStatus: 'paid',
        source: 'booking',
        occurrenceDate: null,
      }),
    ]);
  });

  it('confirms a request whose payment is under way, even past the request’s expiry (payment stops the clock)', () => {
    const late = minutesAfter(REQUEST_EXPIRES, 60);
    spec.given([...pending, paymentStarted('bk-1', confirmedAt)]).when(confirmBooking('bk-1', late)).then(confirmed({ at: late }));
  });

  it('refuses a booking confirmed already, naming its session (Conflict booking_already_confirmed)', () => {
    spec
      .given(withSession)
      .when(confirmBooking('bk-1', minutesAfter(NOW, 6), 'se-other'))
      .thenThrows(Conflict, { code: 'booking_already_confirmed', details: { bookingId: 'bk-1', sessionId: 'se-bk-1' } });
  });

  it('refuses a pending request past its expiry even before the expiry job ran (Conflict booking_expired)', () => {
    spec.given(pending).when(confirmBooking('bk-1', REQUEST_EXPIRES)).thenThrows(Conflict, { code: 'booking_expired' });
  });

  it('refuses an expired request (Conflict booking_expired)', () => {
    spec.given([...pending, bookingExpired('bk-1', REQUEST_EXPIRES)]).when(confirmBooking('bk-1', minutesAfter(REQUEST_EXPIRES, 1))).thenThrows(Conflict, { code: 'booking_expired' });
  });

  it('refuses a cancelled request (Conflict booking_cancelled)', () => {
    spec.given([...pending, bookingCancelled('bk-1', 'therapist', minutesAfter(NOW, 1))]).when(confirmBooking('bk-1', confirmedAt)).thenThrows(Conflict, { code: 'booking_cancelled' });
  });

  it('refuses when the slot was booked meanwhile by another patient (Conflict slot_unavailable)', () => {
    const taken = [
      ...pending,
      holdExpired('bk-1', HOLD_ENDS),
      bookingRequested({ bookingId: 'bk-2', now: minutesAfter(NOW, 20) }),
      ...confirmed({ bookingId: 'bk-2', at: minutesAfter(NOW, 25) }),
    ];
    spec.given(taken).when(confirmBooking('bk-1', minutesAfter(NOW, 30))).thenThrows(Conflict, { code: 'slot_unavailable', details: { bookingId: 'bk-1', startsAt: NINE_UTC } });
  });

  it('refuses when the slot is held meanwhile by another live request (Conflict slot_unavailable)', () => {
    spec
      .given([...pending, holdExpired('bk-1', HOLD_ENDS), bookingRequested({ bookingId: 'bk-2', now: minutesAfter(NOW, 20) })])
      .when(confirmBooking('bk-1', minutesAfter(NOW, 25)))
      .thenThrows(Conflict, { code: 'slot_unavailable' });
  });

  it('answers an unknown booking with NotFound booking', () => {
    spec.given(calendar).when(confirmBooking('bk-9', NOW)).thenThrows(NotFound, { code: 'booking_not_found' });
  });
});

describe('CancelBooking', () => {
  const pending = [...calendar, bookingRequested()];
  const at = minutesAfter(NOW, 3);

  it('lets the therapist cancel a request', () => {
    spec.given(pending).when(cancelByTherapist('bk-1', at)).then([bookingCancelled('bk-1', 'therapist', at, IMPREVISTO)]);
  });

  it('lets the patient cancel with the token handed out at booking (its hash matches)', () => {
    spec.given(pending).when(cancelByPatient('bk-1', 'hash-bk-1', at)).then([bookingCancelled('bk-1', 'patient', at, null)]);
  });

  it('forbids a patient whose token does not match, or who has none (Forbidden)', () => {
    spec.given(pending).when(cancelByPatient('bk-1', 'hash-someone-else', at)).thenThrows(Forbidden, { code: 'forbidden' });
    spec.given(pending).when(cancelByPatient('bk-1', null, at)).thenThrows(Forbidden);
  });

  it('checks the token before telling anything about the booking’s state', () => {
    spec.given([...pending, bookingCancelled('bk-1', 'patient', at)]).when(cancelByPatient('bk-1', 'hash-wrong', minutesAfter(at, 1))).thenThrows(Forbidden);
  });

  it('cancels a request whose payment is under way', () => {
    spec.given([...pending, paymentStarted('bk-1', minutesAfter(NOW, 1))]).when(cancelByTherapist('bk-1', at)).then([bookingCancelled('bk-1', 'therapist', at)]);
  });

  it('cancels a confirmed booking together with its session', () => {
    const later = minutesAfter(NOW, 60);
    spec.given(withSession).when(cancelByPatient('bk-1', 'hash-bk-1', later)).then([
      bookingCancelled('bk-1', 'patient', later, null),
      event('SessionCancelled', { sessionId: 'se-bk-1', cancelledBy: 'patient', reason: null, cancelledAt: later.toISOString() }),
    ]);
  });

  it('cancels only the booking when its session was cancelled already', () => {
    const sessionCancelled = event('SessionCancelled', { sessionId: 'se-bk-1', cancelledBy: 'therapist', reason: null, cancelledAt: minutesAfter(NOW, 10).toISOString() });
    spec.given([...withSession, sessionCancelled]).when(cancelByTherapist('bk-1', minutesAfter(NOW, 20))).then([bookingCancelled('bk-1', 'therapist', minutesAfter(NOW, 20))]);
  });

  it('refuses a confirmed booking whose session has started (Conflict session_already_started)', () => {
    spec.given(withSession).when(cancelByTherapist('bk-1', SESSION_START)).thenThrows(Conflict, { code: 'session_already_started', details: { sessionId: 'se-bk-1' } });
  });

  // BUG (decide-booking.ts:121-129): only a *scheduled* session blocks the cancellation; once its
  // outcome is recorded (completed / no_show) the booking can be cancelled again, by the patient too,
  // days after the session took place (until the booking is pruned, 7 days after it).
  it('refuses a confirmed booking whose session already took place (completed)', () => {
    const completed = event('SessionCompleted', { sessionId: 'se-bk-1', at: minutesAfter(SESSION_START, 50).toISOString() });
    spec.given([...withSession, completed]).when(cancelByPatient('bk-1', 'hash-bk-1', minutesAfter(SESSION_START, 120))).thenThrows(Conflict);
  });

  it('refuses a booking cancelled already (Conflict booking_cancelled)', () => {
    spec.given([...pending, bookingCancelled('bk-1', 'patient', at)]).when(cancelByTherapist('bk-1', minutesAfter(at, 1))).thenThrows(Conflict, { code: 'booking_cancelled', details: { bookingId: 'bk-1' } });
  });

  it('refuses an expired request (Conflict booking_expired)', () => {
    spec.given([...pending, bookingExpired('bk-1', REQUEST_EXPIRES)]).when(cancelByPatient('bk-1', 'hash-bk-1', minutesAfter(REQUEST_EXPIRES, 1))).thenThrows(Conflict, { code: 'booking_expired' });
  });

  it('answers an unknown booking with NotFound booking', () => {
    spec.given(calendar).when(cancelByTherapist('bk-9', at)).thenThrows(NotFound, { code: 'booking_not_found' });
  });
});

describe('The patient link (RevokePatientToken, ReissuePatientToken)', () => {
  const pending = [...calendar, bookingRequested()];
  const at = minutesAfter(NOW, 3);
  const revoke = (now: Date): RevokePatientToken => ({ type: 'RevokePatientToken', bookingId: 'bk-1', now });
  const reissue = (hash: string, now: Date): ReissuePatientToken => ({ type: 'ReissuePatientToken', bookingId: 'bk-1', patientTokenHash: hash, now });
  const revoked = event('PatientTokenRevoked', { bookingId: 'bk-1', revokedAt: at.toISOString() });
  const reissued = event('PatientTokenReissued', { bookingId: 'bk-1', patientTokenHash: 'hash-new', reissuedAt: at.toISOString() });

  it('revokes the link: the patient’s token stops working', () => {
    spec.given(pending).when(revoke(at)).then([revoked]);
    spec.given([...pending, revoked]).when(cancelByPatient('bk-1', 'hash-bk-1', minutesAfter(at, 1))).thenThrows(Forbidden);
  });

  it('revokes a revoked link without a new event', () => {
    spec.given([...pending, revoked]).when(revoke(minutesAfter(at, 1))).then([]);
  });

  it('reissues the link: only the new token works', () => {
    spec.given(pending).when(reissue('hash-new', at)).then([reissued]);
    spec.given([...pending, reissued]).when(cancelByPatient('bk-1', 'hash-bk-1', minutesAfter(at, 1))).thenThrows(Forbidden);
    spec.given([...pending, revoked, reissued]).when(cancelByPatient('bk-1', 'hash-new', minutesAfter(at, 1))).then([bookingCancelled('bk-1', 'patient', minutesAfter(at, 1), null)]);
  });

  it('refuses a token PATIENT_TOKEN_HOURS_AFTER_SESSION past the session’s end as expired, before anything else is said', () => {
    const sessionEnds = new Date(slotOf(MONDAY, '09:00').endsAt);
    const expires = minutesAfter(sessionEnds, PATIENT_LINK_HOURS * 60);
    spec.given(withSession).when(cancelByPatient('bk-1', 'hash-bk-1', minutesAfter(expires, 1))).thenThrows(Forbidden, { message: expect.stringMatching(/expired/) as unknown });
  });

  it('answers an unknown booking with NotFound booking', () => {
    spec.given(calendar).when(revoke(at)).thenThrows(NotFound, { code: 'booking_not_found' });
    spec.given(calendar).when(reissue('hash-new', at)).thenThrows(NotFound, { code: 'booking_not_found' });
  });
});

describe('ExpireBookingHold (the hold-expiry job)', () => {
  const pending = [...calendar, bookingRequested()];
  const expireHold = (now: Date) => ({ type: 'ExpireBookingHold', bookingId: 'bk-1', now }) as const;

  it('records the hold as expired once it is due', () => {
    spec.given(pending).when(expireHold(HOLD_ENDS)).then([holdExpired('bk-1', HOLD_ENDS)]);
    spec.given(pending).when(expireHold(minutesAfter(HOLD_ENDS, 3))).then([holdExpired('bk-1', minutesAfter(HOLD_ENDS, 3))]);
  });

  it('records nothing before the hold is due', () => {
    spec.given(pending).when(expireHold(new Date(HOLD_ENDS.getTime() - 1))).then([]);
  });

  it('records nothing when the hold was released already', () => {
    spec.given([...pending, holdExpired('bk-1', HOLD_ENDS)]).when(expireHold(minutesAfter(HOLD_ENDS, 1))).then([]);
  });

  it.each<[string, readonly TherapistEvent[]]>([
    ['payment is under way', [...pending, paymentStarted('bk-1', minutesAfter(NOW, 5))]],
    ['the booking is confirmed', withSession],
    ['the request was cancelled', [...pending, bookingCancelled('bk-1', 'patient', minutesAfter(NOW, 5))]],
    ['the request expired', [...pending, bookingExpired('bk-1', HOLD_ENDS)]],
    ['the booking is unknown', calendar],
  ])('records nothing when %s', (_name, history) => {
    spec.given(history).when(expireHold(minutesAfter(HOLD_ENDS, 1))).then([]);
  });
});

describe('ExpireBooking (the request-expiry job)', () => {
  const pending = [...calendar, bookingRequested()];
  const expire = (now: Date) => ({ type: 'ExpireBooking', bookingId: 'bk-1', now }) as const;

  it('expires an unpaid request once it is due, recording first the end of the hold it still had', () => {
    spec.given(pending).when(expire(REQUEST_EXPIRES)).then([holdExpired('bk-1', REQUEST_EXPIRES), bookingExpired('bk-1', REQUEST_EXPIRES)]);
  });

  it('tells one story whichever deadline job runs first (both are due at once after a restart)', () => {
    const late = minutesAfter(REQUEST_EXPIRES, 30);
    const expireHold = { type: 'ExpireBookingHold', bookingId: 'bk-1', now: late } as const;
    const holdFirst = spec.given(pending).when(expireHold).events();
    const requestFirst = spec.given(pending).when(expire(late)).events();
    expect([...holdFirst, ...spec.given([...pending, ...holdFirst]).when(expire(late)).events()]).toEqual([holdExpired('bk-1', late), bookingExpired('bk-1', late)]);
    expect([...requestFirst, ...spec.given([...pending, ...requestFirst]).when(expireHold).events()]).toEqual([holdExpired('bk-1', late), bookingExpired('bk-1', late)]);
  });

  it('expires an unpaid request whose hold was released before', () => {
    spec.given([...pending, holdExpired('bk-1', HOLD_ENDS)]).when(expire(REQUEST_EXPIRES)).then([bookingExpired('bk-1', REQUEST_EXPIRES)]);
  });

  it('records nothing before the request is due', () => {
    spec.given([...pending, holdExpired('bk-1', HOLD_ENDS)]).when(expire(new Date(REQUEST_EXPIRES.getTime() - 1))).then([]);
  });

  it.each<[string, readonly TherapistEvent[]]>([
    ['payment is under way (paid requests do not expire)', [...pending, paymentStarted('bk-1', minutesAfter(NOW, 5))]],
    ['the booking is confirmed', withSession],
    ['the request was cancelled', [...pending, bookingCancelled('bk-1', 'patient', minutesAfter(NOW, 5))]],
    ['the request expired already', [...pending, bookingExpired('bk-1', REQUEST_EXPIRES)]],
    ['the booking is unknown', calendar],
  ])('records nothing when %s', (_name, history) => {
    spec.given(history).when(expire(minutesAfter(REQUEST_EXPIRES, 1))).then([]);
  });
});

describe('RecordSessionOutcome', () => {
  const afterStart = minutesAfter(SESSION_START, 50);
  const beforeStart = minutesAfter(SESSION_START, -60);
  const completed = event('SessionCompleted', { sessionId: 'se-bk-1', at: afterStart.toISOString() });
  const noShow = event('SessionMarkedNoShow', { sessionId: 'se-bk-1', at: afterStart.toISOString() });
  const cancelled = event('SessionCancelled', { sessionId: 'se-bk-1', cancelledBy: 'therapist', reason: ENFERMEDAD, cancelledAt: beforeStart.toISOString() });

  it('records a session as completed once it has started', () => {
    spec.given(withSession).when(recordOutcome('completed', afterStart)).then([completed]);
    spec.given(withSession).when(recordOutcome('completed', SESSION_START)).then([event('SessionCompleted', { sessionId: 'se-bk-1', at: NINE_UTC })]);
  });

  it('records a no-show once the session has started', () => {
    spec.given(withSession).when(recordOutcome('no_show', afterStart)).then([noShow]);
  });

  it('refuses completed or no-show before the session starts (Conflict session_not_started)', () => {
    const justBefore = new Date(SESSION_START.getTime() - 1);
    spec.given(withSession).when(recordOutcome('completed', justBefore)).thenThrows(Conflict, { code: 'session_not_started', details: { sessionId: 'se-bk-1', startsAt: NINE_UTC } });
    spec.given(withSession).when(recordOutcome('no_show', justBefore)).thenThrows(Conflict, { code: 'session_not_started' });
  });

  it('cancels a session before it starts, as the therapist', () => {
    spec.given(withSession).when(recordOutcome('cancelled', beforeStart)).then([cancelled]);
  });

  it('refuses to cancel a session once it has started (Conflict session_already_started)', () => {
    spec.given(withSession).when(recordOutcome('cancelled', SESSION_START)).thenThrows(Conflict, { code: 'session_already_started' });
  });

  it.each([
    ['completed', completed, afterStart],
    ['no_show', noShow, afterStart],
    ['cancelled', cancelled, beforeStart],
  ] as const)('records nothing when the same outcome (%s) is recorded again', (outcome, recorded, now) => {
    spec.given([...withSession, recorded]).when(recordOutcome(outcome, minutesAfter(now, 1))).then([]);
  });

  it.each([
    ['completed', 'no_show', completed, 'session_completed'],
    ['no-show', 'completed', noShow, 'session_no_show'],
    ['cancelled', 'completed', cancelled, 'session_cancelled'],
    ['cancelled', 'no_show', cancelled, 'session_cancelled'],
  ] as const)('refuses another outcome once the session is %s (Conflict %s → %s)', (_status, outcome, recorded, code) => {
    spec.given([...withSession, recorded]).when(recordOutcome(outcome, afterStart)).thenThrows(Conflict, { code, details: { sessionId: 'se-bk-1' } });
  });

  it('refuses to cancel a completed session', () => {
    spec.given([...withSession, completed]).when(recordOutcome('cancelled', beforeStart)).thenThrows(Conflict, { code: 'session_completed', details: { status: 'completed' } });
  });

  it('answers an unknown session with NotFound session', () => {
    spec.given(withSession).when(recordOutcome('completed', afterStart, 'se-9')).thenThrows(NotFound, { code: 'session_not_found', id: 'se-9' });
  });
});

describe('stream state (evolve): the past is forgotten once it can no longer matter', () => {
  function stateAfter(history: readonly TherapistEvent[]): RegisteredTherapist {
    const state = fold(therapistDecider, history);
    if (state.status !== 'registered') throw new Error('the history must register the therapist');
    return state;
  }

  /** Any event carrying an instant moves the stream's clock: here a new request for a later Monday. */
  const laterRequestAt = (at: Date, bookingId = `bk-${at.toISOString()}`) => bookingRequested({ bookingId, date: '2026-06-15', now: at });

  /** Monday 2026-03-09: bk-1 confirmed (session se-bk-1, 09:00), bk-2 cancelled (10:00), bk-3 expired (11:00); a day off on 2026-03-10. */
  const closedMonday: readonly TherapistEvent[] = [
    ...withSession,
    bookingRequested({ bookingId: 'bk-2', time: '10:00' }),
    bookingCancelled('bk-2', 'patient', minutesAfter(NOW, 7)),
    bookingRequested({ bookingId: 'bk-3', time: '11:00' }),
    bookingExpired('bk-3', REQUEST_EXPIRES),
    event('AvailabilityExceptionAdded', { exceptionId: 'ex-1', date: '2026-03-10', allDay: true, startTime: null, endTime: null, isAvailable: false, reason: null }),
  ];
  const lastSlotEnd = new Date('2026-03-09T14:50:00.000Z');

  it('keeps closed bookings for a week after their slot, to answer late retries', () => {
    const state = stateAfter([...closedMonday, laterRequestAt(new Date('2026-03-16T12:00:00.000Z'), 'bk-late')]);
    expect(Object.keys(state.bookings).sort()).toEqual(['bk-1', 'bk-2', 'bk-3', 'bk-late']);
  });

  it('drops confirmed, cancelled and expired bookings once a week has passed since their slot (cancelled and expired ones once archived)', () => {
    const archived = (bookingId: string) => event('BookingRequestArchived', { bookingId, archivedAt: daysAfter(lastSlotEnd, 1).toISOString() });
    const state = stateAfter([...closedMonday, archived('bk-2'), archived('bk-3'), laterRequestAt(daysAfter(lastSlotEnd, 8), 'bk-late')]);
    expect(Object.keys(state.bookings)).toEqual(['bk-late']);
    // Not archived yet: still to be decided about (ArchiveBookingRequest), so still there.
    expect(Object.keys(stateAfter([...closedMonday, laterRequestAt(daysAfter(lastSlotEnd, 8), 'bk-late')]).bookings).sort()).toEqual(['bk-2', 'bk-3', 'bk-late']);
  });

  it('keeps sessions for 90 days after they end, to record a late outcome', () => {
    const state = stateAfter([...closedMonday, laterRequestAt(new Date('2026-06-07T12:00:00.000Z'))]);
    expect(Object.keys(state.sessions)).toEqual(['se-bk-1']);
    spec.given([...closedMonday, laterRequestAt(new Date('2026-06-07T12:00:00.000Z'))]).when(recordOutcome('completed', new Date('2026-06-07T12:00:00.000Z'))).then([
      event('SessionCompleted', { sessionId: 'se-bk-1', at: '2026-06-07T12:00:00.000Z' }),
    ]);
  });

  it('drops sessions, whatever their status, 90 days after they end', () => {
    const state = stateAfter([...closedMonday, laterRequestAt(new Date('2026-06-08T12:00:00.000Z'))]);
    expect(state.sessions).toEqual({});
  });

  it('drops date exceptions two days after their date', () => {
    expect(Object.keys(stateAfter([...closedMonday, laterRequestAt(new Date('2026-03-11T12:00:00.000Z'))]).exceptions)).toEqual(['ex-1']);
    expect(stateAfter([...closedMonday, laterRequestAt(new Date('2026-03-13T12:00:00.000Z'))]).exceptions).toEqual({});
  });

  it('keeps a request that is still open, whatever its age (only its expiry closes it)', () => {
    const state = stateAfter([...calendar, bookingRequested(), laterRequestAt(new Date('2026-06-15T12:00:00.000Z'), 'bk-late')]);
    expect(Object.keys(state.bookings).sort()).toEqual(['bk-1', 'bk-late']);
  });

  it('never moves the stream clock backwards on an event that carries an older instant', () => {
    const ahead = stateAfter([...calendar, laterRequestAt(new Date('2026-03-20T12:00:00.000Z'))]);
    const after = stateAfter([...calendar, laterRequestAt(new Date('2026-03-20T12:00:00.000Z')), bookingCancelled('bk-x', 'therapist', NOW)]);
    expect(after.latestMs).toBe(ahead.latestMs);
  });

  it('stays small after a year of weekly sessions: the last week’s bookings, the last 90 days’ sessions', () => {
    const history: TherapistEvent[] = [...calendar];
    const firstMonday = new Date('2026-03-09T12:00:00.000Z');
    for (let week = 0; week < 52; week++) {
      const monday = daysAfter(firstMonday, 7 * week);
      const date = monday.toISOString().slice(0, 10);
      const requestedAt = daysAfter(monday, -5);
      const bookingId = `bk-w${week}`;
      history.push(
        bookingRequested({ bookingId, date, now: requestedAt }),
        ...confirmed({ bookingId, date, at: minutesAfter(requestedAt, 5) }),
        event('SessionCompleted', { sessionId: `se-${bookingId}`, at: minutesAfter(monday, 60).toISOString() }),
      );
    }
    const state = stateAfter(history);
    // Only the latest booking ended less than a week ago; sessions ending within 90 days are weeks 39–51.
    expect(Object.keys(state.bookings)).toEqual(['bk-w51']);
    expect(Object.keys(state.sessions)).toHaveLength(13);
    expect(Object.keys(state.sessions)).toContain('se-bk-w39');
    expect(Object.keys(state.sessions)).not.toContain('se-bk-w38');
  });
});
