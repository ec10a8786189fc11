import { describe, expect, it } from 'vitest';
import { backoffMs, outcomeEventId } from '../../integrations/dispatcher.js';
import { IMMEDIATELY, keys, MEET_LINK_LEAD_MS, planFor, SINGLE_REMINDER_LEAD_MS, type PlannedEvent } from '../../integrations/dispatch-plan.js';

const T = '11111111-1111-4111-8111-111111111111';
const S = '22222222-2222-4222-8222-222222222222';
const B = '33333333-3333-4333-8333-333333333333';
const STARTS = '2027-03-02T13:00:00.000Z';

const scheduled = (over: Partial<Extract<PlannedEvent, { type: 'SessionScheduled' }>['data']> = {}): PlannedEvent => ({
  type: 'SessionScheduled',
  data: { sessionId: S, patientId: B, bookingId: null, recurrenceId: null, startsAt: STARTS, endsAt: '2027-03-02T13:50:00.000Z', durationMinutes: 50, price: 15000, paymentStatus: 'paid', source: 'booking', occurrenceDate: null, ...over },
});

/** given an event on a therapist stream, then the calls it asks of the outside world (the outbox's changes). */
describe('What each event asks of the integrations', () => {
  it('a Mercado Pago request: one preference keyed by the booking, due at once; a transfer asks nothing', () => {
    const requested = (paymentMethod: 'mercadopago' | 'bank_transfer'): PlannedEvent => ({
      type: 'BookingRequested',
      data: { bookingId: B, contact: { keyId: T, ciphertext: 'x' }, isNewPatient: true, paymentMethod, requestedDate: '2027-03-02', requestedTime: '10:00', startsAt: STARTS, endsAt: STARTS, durationMinutes: 50, priceAtBooking: 1, currency: 'ARS', holdExpiresAt: STARTS, expiresAt: STARTS, patientTokenHash: 'h', requestedAt: STARTS },
    });
    expect(planFor(T, requested('mercadopago'))).toEqual([{ op: 'insert', dispatch: { key: keys.bookingPreference(B), integration: 'mercadopago', kind: 'mp.preference', therapistId: T, payload: { kind: 'mp.preference', reference: { kind: 'booking', id: B } }, dueAt: IMMEDIATELY } }]);
    expect(planFor(T, requested('bank_transfer'))).toEqual([]);
  });

  it('a paid session: its calendar event now, the Meet link 15 minutes before; no payment link, no reminder', () => {
    const changes = planFor(T, scheduled());
    expect(changes.map((c) => (c.op === 'insert' ? [c.dispatch.key, c.dispatch.dueAt.toISOString()] : c.op))).toEqual([
      [keys.calendarCreate(S), IMMEDIATELY.toISOString()],
      [keys.message('whatsapp', 'meet_link', S), new Date(Date.parse(STARTS) - MEET_LINK_LEAD_MS).toISOString()],
    ]);
  });

  it('an unpaid recurring session gets its own payment link; an unpaid single one a reminder the day before', () => {
    expect(planFor(T, scheduled({ paymentStatus: 'pending', source: 'recurrence', recurrenceId: B })).map((c) => c.op === 'insert' && c.dispatch.key)).toContain(keys.sessionPreference(S));
    const single = planFor(T, scheduled({ paymentStatus: 'pending', source: 'manual' }));
    expect(single.find((c) => c.op === 'insert' && c.dispatch.key === keys.message('whatsapp', 'payment_reminder', S))).toMatchObject({ dispatch: { dueAt: new Date(Date.parse(STARTS) - SINGLE_REMINDER_LEAD_MS) } });
  });

  it('a confirmed booking: a WhatsApp and an e-mail, one of each per booking', () => {
    expect(planFor(T, { type: 'BookingConfirmed', data: { bookingId: B, sessionId: S, patientId: T, confirmedAt: STARTS } }).map((c) => c.op === 'insert' && c.dispatch.key)).toEqual([
      keys.message('whatsapp', 'booking_confirmed', B),
      keys.message('email', 'booking_confirmed', B),
    ]);
  });

  it('a moved session: its event is patched (one call per new time) and its reminders move with it', () => {
    const moved = '2027-03-09T13:00:00.000Z';
    expect(planFor(T, { type: 'SessionRescheduled', data: { sessionId: S, startsAt: moved, endsAt: moved, durationMinutes: 50, price: 1, rescheduledAt: STARTS } })).toEqual([
      { op: 'insert', dispatch: expect.objectContaining({ key: keys.calendarPatch(S, STARTS), kind: 'google.patch' }) as unknown },
      { op: 'reschedule', key: keys.message('whatsapp', 'meet_link', S), dueAt: new Date(Date.parse(moved) - MEET_LINK_LEAD_MS) },
      { op: 'reschedule', key: keys.message('whatsapp', 'payment_reminder', S), dueAt: new Date(Date.parse(moved) - SINGLE_REMINDER_LEAD_MS) },
    ]);
  });

  it('a cancelled session: what was pending about it is never made, and its event is deleted', () => {
    const changes = planFor(T, { type: 'SessionCancelled', data: { sessionId: S, cancelledBy: 'therapist', reason: null, cancelledAt: STARTS } });
    expect(changes[0]).toEqual({ op: 'cancel', keys: [keys.message('whatsapp', 'meet_link', S), keys.message('whatsapp', 'payment_reminder', S), keys.sessionPreference(S), keys.calendarCreate(S)], reason: 'session cancelled' });
    expect(changes[1]).toMatchObject({ op: 'insert', dispatch: { key: keys.calendarDelete(S) } });
  });

  it('a request that expired or was cancelled: its checkout is not made any more', () => {
    expect(planFor(T, { type: 'BookingExpired', data: { bookingId: B, expiredAt: STARTS, reason: 'unpaid' } })).toEqual([{ op: 'cancel', keys: [keys.bookingPreference(B)], reason: 'booking expired' }]);
  });
});

describe('Retries and recording', () => {
  it('backs off exponentially with full jitter, capped at ten minutes', () => {
    expect(backoffMs(1, () => 0)).toBe(500);
    expect(backoffMs(1, () => 1)).toBe(1000);
    expect(backoffMs(4, () => 1)).toBe(8000);
    expect(backoffMs(30, () => 1)).toBe(600_000);
    expect(backoffMs(30, () => 0)).toBe(300_000);
  });

  it('gives the same outcome the same event id, so recording it twice after a crash is one event', () => {
    const id = outcomeEventId('google:create:x', 0, 'CalendarEventCreated');
    expect(id).toBe(outcomeEventId('google:create:x', 0, 'CalendarEventCreated'));
    expect(id).not.toBe(outcomeEventId('google:create:x', 1, 'CalendarEventCreated'));
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
