import { describe, expect, it } from 'vitest';
import { sweepBookingDeadlines } from '../../commands/booking-expiry.js';
import { bookingBody, MONDAY_8AM, openTherapist } from '../support/calendar-fixtures.js';
import { useTestService } from '../support/service.js';

const MINUTE = 60_000;
const at = (offsetMinutes: number) => new Date(Date.parse(MONDAY_8AM) + offsetMinutes * MINUTE).toISOString();

/**
 * A payment that starts and never completes: with BOOKING_PAYMENT_TIMEOUT_HOURS=1 its deadline is an
 * hour after it started; then the request expires, the slot frees, the therapist's pipeline says
 * why, and a payment reported afterwards is recorded as late.
 */
describe('The payment deadline', () => {
  const given = useTestService({ now: MONDAY_8AM, env: { BOOKING_PAYMENT_TIMEOUT_HOURS: '1' } });

  const newEvents = async (therapistId: string, after: number) => (await given.service.services.store.readStream(`therapist-${therapistId}`)).slice(after).map((e) => ({ type: e.type, data: e.data }));
  const revision = async (therapistId: string) => (await given.service.services.store.readStream(`therapist-${therapistId}`)).length;
  const slotAtTen = async (therapistId: string) => {
    const res = await given.service.request('GET', `/api/public/availability?therapistId=${therapistId}&start=2027-03-02&end=2027-03-02`);
    return ((res.json.days as { slots: { time: string; status: string }[] }[])[0]?.slots ?? []).find((s) => s.time === '10:00')?.status;
  };

  it('expires a payment that never completed, frees its slot and tells the therapist why', async () => {
    const therapist = await openTherapist(given.service);
    const booked = await given.service.request('POST', '/api/public/bookings', { body: bookingBody(therapist.id) });
    const id = String(booked.json.id);
    given.clock.set(at(5));
    const before = await revision(therapist.id);

    const paid = await given.service.request('POST', `/api/bookings/${id}/payment-received`, { token: therapist.token, body: { reference: 'TRX-77' } });
    expect(paid.status).toBe(200);
    expect(paid.json).toEqual({ id, status: 'payment_processing', paymentExpiresAt: at(65), latePaymentRecorded: false });
    expect(await newEvents(therapist.id, before)).toEqual([
      { type: 'PaymentStarted', data: { bookingId: id, method: 'bank_transfer', reference: 'TRX-77', startedAt: at(5), paymentExpiresAt: at(65) } },
    ]);

    given.clock.set(at(64));
    expect(await slotAtTen(therapist.id)).toBe('locked');
    expect(await sweepBookingDeadlines(given.service.services)).toMatchObject({ expired: 0 });

    given.clock.set(at(65));
    // Free at the deadline by the clock alone, before any job has run.
    expect(await slotAtTen(therapist.id)).toBe('available');
    const beforeExpiry = await revision(therapist.id);
    expect(await sweepBookingDeadlines(given.service.services)).toMatchObject({ expired: 1, failed: 0 });
    expect(await newEvents(therapist.id, beforeExpiry)).toEqual([{ type: 'BookingExpired', data: { bookingId: id, expiredAt: at(65), reason: 'payment_not_completed' } }]);
    await expect
      .poll(async () => (await given.service.request('GET', '/api/bookings?status=expired', { token: therapist.token })).json.bookings)
      .toEqual([expect.objectContaining({ id, status: 'expired', expiryReason: 'payment_not_completed', paymentExpiresAt: at(65), latePayment: null })]);
  });

  it('records a payment that arrives after the deadline as late, without taking the slot back', async () => {
    const therapist = await openTherapist(given.service);
    const id = String((await given.service.request('POST', '/api/public/bookings', { body: bookingBody(therapist.id) })).json.id);
    given.clock.set(at(5));
    await given.service.request('POST', `/api/bookings/${id}/payment-received`, { token: therapist.token, body: { reference: 'TRX-1' } });
    given.clock.set(at(70));
    await sweepBookingDeadlines(given.service.services);
    const before = await revision(therapist.id);

    const late = await given.service.request('POST', `/api/bookings/${id}/payment-received`, { token: therapist.token, body: { reference: 'TRX-2' } });
    expect(late.status).toBe(200);
    expect(late.json).toMatchObject({ id, status: 'expired', latePaymentRecorded: true });
    expect(await newEvents(therapist.id, before)).toEqual([
      { type: 'LatePaymentReceived', data: { bookingId: id, method: 'bank_transfer', reference: 'TRX-2', bookingStatus: 'expired', receivedAt: at(70) } },
    ]);
    expect(await slotAtTen(therapist.id)).toBe('available');
    await expect
      .poll(async () => (await given.service.request('GET', '/api/bookings?status=expired', { token: therapist.token })).json.bookings)
      .toEqual([expect.objectContaining({ id, latePayment: { receivedAt: at(70), reference: 'TRX-2' } })]);
  });

  it('refuses to confirm a booking whose payment deadline passed, before any job ran', async () => {
    const therapist = await openTherapist(given.service);
    const id = String((await given.service.request('POST', '/api/public/bookings', { body: bookingBody(therapist.id) })).json.id);
    await given.service.request('POST', `/api/bookings/${id}/payment-received`, { token: therapist.token, body: {} });
    given.clock.set(at(60));
    const confirmed = await given.service.request('POST', `/api/bookings/${id}/confirm`, { token: therapist.token });
    expect(confirmed.status).toBe(409);
    expect(confirmed.json).toMatchObject({ code: 'booking_expired', bookingId: id, expiredAt: at(60) });
  });
});
