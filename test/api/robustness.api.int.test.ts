import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../infra/clock.js';
import { sweepBookingDeadlines } from '../../commands/booking-expiry.js';
import { startTestService, type TestService } from '../support/service.js';
import { bookingBody, MONDAY_8AM, openTherapist as openCalendar } from '../support/calendar-fixtures.js';

const NOW = MONDAY_8AM;

/** Bad or odd input gets a clear 4xx and loses nothing; retries and late payments land where they should. */
describe('Robustness at the edges of the booking API', () => {
  let service: TestService;
  const clock = new ManualClock(NOW);
  beforeAll(async () => {
    service = await startTestService({ clock });
  });
  afterAll(async () => {
    await service.close();
  });
  // Every specification starts at NOW, wherever the one before left the clock (also when it failed half-way).
  beforeEach(() => clock.set(NOW));

  const openTherapist = () => openCalendar(service);
  const body = (therapistId: string, extra: Record<string, unknown> = {}) => bookingBody(therapistId, '10:00', extra);
  const status10 = async (therapistId: string) => {
    const res = await service.request('GET', `/api/public/availability?therapistId=${therapistId}&start=2027-03-02&end=2027-03-02`);
    return (res.json.days as { slots: { time: string; status: string }[] }[])[0]?.slots.find((s) => s.time === '10:00')?.status;
  };

  it('holds the slot again for a patient who starts paying after the hold lapsed', async () => {
    const therapist = await openTherapist();
    const id = String((await service.request('POST', '/api/public/bookings', { body: body(therapist.id) })).json.id);
    clock.advance(11 * 60_000);
    await sweepBookingDeadlines(service.services);
    expect(await status10(therapist.id)).toBe('available');
    expect((await service.request('POST', `/api/bookings/${id}/payment-received`, { token: therapist.token })).json).toMatchObject({ status: 'payment_processing' });
    expect(await status10(therapist.id)).toBe('locked');
  });

  it('finds its own booking when a keyed request is retried after its answer was lost', async () => {
    const therapist = await openTherapist();
    const headers = { 'Idempotency-Key': `lost-answer-${therapist.id}` };
    const first = await service.request('POST', '/api/public/bookings', { body: body(therapist.id), headers });
    // As when the process died after booking, before storing the answer: the claim is left unanswered, and lapses.
    await service.services.db('app.idempotency_keys').where({ key: headers['Idempotency-Key'] }).update({ status: null, response: null, claimed_until: service.services.db.fn.now() });
    const retry = await service.request('POST', '/api/public/bookings', { body: body(therapist.id), headers });
    expect(retry.status).toBe(201);
    expect(retry.json.id).toBe(first.json.id);
    expect(retry.json.patientToken).toBe(first.json.patientToken);
    const events = await service.services.store.readStream(`therapist-${therapist.id}`);
    expect(events.filter((e) => e.type === 'BookingRequested')).toHaveLength(1);
  });

  it('accepts a therapist or booking id in upper case as the same id', async () => {
    const therapist = await openTherapist();
    const booked = await service.request('POST', '/api/public/bookings', { body: body(therapist.id.toUpperCase()) });
    expect(booked.status).toBe(201);
    const upper = String(booked.json.id).toUpperCase();
    expect((await service.request('GET', `/api/public/bookings/${upper}?token=${String(booked.json.patientToken)}`)).json).toMatchObject({ id: booked.json.id });
    expect((await service.request('POST', `/api/public/bookings/${upper}/cancel`, { body: { token: booked.json.patientToken } })).json).toMatchObject({ status: 'cancelled' });
  });

  it('answers a lone UTF-16 surrogate in any text field with a 400 naming the field', async () => {
    const therapist = await openTherapist();
    const raw = JSON.stringify(body(therapist.id)).replace('"Juan Pérez"', '"Juan \\ud800"');
    const res = await service.request('POST', '/api/public/bookings', { body: raw });
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ errors: [{ field: 'patientName' }] });
  });

  it('answers dates outside 2000–2100 and unreadable requests with a 400, never a 500', async () => {
    const therapist = await openTherapist();
    const far = await service.request('GET', `/api/public/availability?therapistId=${therapist.id}&start=9999-12-31&end=9999-12-31`);
    expect(far.status).toBe(400);
    expect((await service.request('GET', '/api/public/bookings/%E0%A4%A')).status).toBe(400);
    expect((await service.request('GET', '/api/public/therapists/%ZZ')).status).toBe(400);
    const encoded = await service.request('POST', '/api/public/bookings', { body: body(therapist.id), headers: { 'content-encoding': 'gzip' } });
    expect(encoded.status).toBe(400);
    const charset = await service.request('POST', '/api/public/bookings', { body: body(therapist.id), headers: { 'content-type': 'application/json; charset=latin9' } });
    expect(charset.status).toBeGreaterThanOrEqual(400);
    expect(charset.status).toBeLessThan(500);
    const exception = await service.request('POST', '/api/availability/exceptions', { token: therapist.token, body: { date: '2099-01-01', allDay: true } });
    expect(exception.status).toBe(422);
    expect(exception.json).toMatchObject({ errors: [{ field: 'date', message: 'Must be within two years from today' }] });
  });
});
