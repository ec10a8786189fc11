import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../infra/clock.js';
import { sweepBookingDeadlines } from '../../commands/booking-expiry.js';
import { startTestService, type TestService } from '../support/service.js';
import { aTherapist } from '../support/therapists.js';
import { bookingBody, MONDAY_8AM, openTherapist as openCalendar } from '../support/calendar-fixtures.js';

const NOW = MONDAY_8AM;
const MINUTE = 60_000;

interface Slot {
  time: string;
  status: string;
}

/** What the booking specifications ask of a running service. */
function bookingHelpers(service: () => TestService) {
  return {
    openTherapist: () => openCalendar(service(), { sessionPrice: 18000 }),
    slotStatus: async (therapistId: string, time: string): Promise<string | undefined> => {
      const res = await service().request('GET', `/api/public/availability?therapistId=${therapistId}&start=2027-03-02&end=2027-03-02`);
      return ((res.json.days as { slots: Slot[] }[])[0]?.slots ?? []).find((s) => s.time === time)?.status;
    },
    eventsOf: async (therapistId: string) => (await service().services.store.readStream(`therapist-${therapistId}`)).map((e) => e.type),
  };
}

describe('Booking API: request, hold, payment, confirmation, cancellation and expiry', () => {
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

  const { openTherapist, slotStatus, eventsOf } = bookingHelpers(() => service);

  it('takes a patient from request to payment to a confirmed session the therapist sees, with the slot booked', async () => {
    const therapist = await openTherapist();
    const requested = await service.request('POST', '/api/public/bookings', { body: bookingBody(therapist.id) });
    expect(requested.status).toBe(201);
    expect(requested.json).toMatchObject({
      status: 'pending_payment',
      startsAt: '2027-03-02T13:00:00.000Z',
      holdExpiresAt: new Date(Date.parse(NOW) + 10 * MINUTE).toISOString(),
      expiresAt: new Date(Date.parse(NOW) + 60 * MINUTE).toISOString(),
      priceAtBooking: 18000,
      patientToken: expect.stringMatching(/^pt_/) as unknown,
    });
    const id = String(requested.json.id);
    expect(await slotStatus(therapist.id, '10:00')).toBe('locked');
    expect((await service.request('GET', `/api/public/bookings/${id}?token=${String(requested.json.patientToken)}`)).json).toMatchObject({ id, status: 'pending_payment' });

    const paid = await service.request('POST', `/api/bookings/${id}/payment-received`, { token: therapist.token, body: { reference: 'CBU transfer 123' } });
    expect(paid.json).toMatchObject({ status: 'payment_processing' });
    // Paying stops the clock: long past the hold, the slot is still held for this patient.
    clock.advance(30 * MINUTE);
    expect(await slotStatus(therapist.id, '10:00')).toBe('locked');

    const confirmed = await service.request('POST', `/api/bookings/${id}/confirm`, { token: therapist.token });
    expect(confirmed.status).toBe(200);
    expect(confirmed.json).toMatchObject({ status: 'confirmed', sessionId: expect.any(String) as unknown });
    expect(await slotStatus(therapist.id, '10:00')).toBe('booked');

    const sessions = await service.request('GET', `/api/sessions?from=2027-03-02T00:00:00Z&to=2027-03-03T00:00:00Z`, { token: therapist.token });
    expect(sessions.json.sessions).toEqual([
      expect.objectContaining({ id: confirmed.json.sessionId, patient: expect.objectContaining({ name: 'Juan Pérez' }) as unknown, status: 'scheduled', price: 18000, source: 'booking' }),
    ]);
    expect((await service.request('GET', `/api/public/bookings/${id}`, { token: String(requested.json.patientToken) })).json).toMatchObject({ status: 'confirmed', sessionId: confirmed.json.sessionId });

    // Confirming again is refused and never makes a second session.
    const again = await service.request('POST', `/api/bookings/${id}/confirm`, { token: therapist.token });
    expect(again.status).toBe(409);
    expect(again.json).toMatchObject({ code: 'booking_already_confirmed' });
    expect((await eventsOf(therapist.id)).filter((t) => t === 'SessionScheduled')).toHaveLength(1);
  });

  it('lets the patient cancel with the token handed out at booking, and no one else', async () => {
    const therapist = await openTherapist();
    const requested = await service.request('POST', '/api/public/bookings', { body: bookingBody(therapist.id, '09:00', { paymentMethod: 'mercadopago' }) });
    // 09:00 is 3 h ahead of 08:00 with 2 h notice: bookable.
    expect(requested.status).toBe(201);
    const id = String(requested.json.id);
    const wrong = await service.request('POST', `/api/public/bookings/${id}/cancel`, { body: { token: 'pt_wrong' } });
    expect(wrong.status).toBe(403);
    const cancelled = await service.request('POST', `/api/public/bookings/${id}/cancel`, { body: { token: requested.json.patientToken, reason: 'Me surgió un viaje' } });
    expect(cancelled.status).toBe(200);
    expect(cancelled.json).toMatchObject({ status: 'cancelled' });
    expect(await slotStatus(therapist.id, '09:00')).toBe('available');
    const twice = await service.request('POST', `/api/public/bookings/${id}/cancel`, { body: { token: requested.json.patientToken } });
    expect(twice.json).toMatchObject({ code: 'booking_cancelled' });
  });

  it('frees the slot when the therapist cancels a confirmed booking', async () => {
    const therapist = await openTherapist();
    const id = String((await service.request('POST', '/api/public/bookings', { body: bookingBody(therapist.id) })).json.id);
    await service.request('POST', `/api/bookings/${id}/confirm`, { token: therapist.token });
    expect(await slotStatus(therapist.id, '10:00')).toBe('booked');
    const cancelled = await service.request('POST', `/api/bookings/${id}/cancel`, { token: therapist.token, body: { reason: 'Enfermedad' } });
    expect(cancelled.json).toMatchObject({ status: 'cancelled' });
    expect(await slotStatus(therapist.id, '10:00')).toBe('available');
    expect(await eventsOf(therapist.id)).toEqual(expect.arrayContaining(['BookingCancelled', 'SessionCancelled']));
  });

  it('keeps sessions and requests under a new blocking exception, and says which they are (EC-AV-002)', async () => {
    const therapist = await openTherapist();
    const confirmedId = String((await service.request('POST', '/api/public/bookings', { body: bookingBody(therapist.id, '09:00') })).json.id);
    const sessionId = String((await service.request('POST', `/api/bookings/${confirmedId}/confirm`, { token: therapist.token })).json.sessionId);
    const pendingId = String((await service.request('POST', '/api/public/bookings', { body: bookingBody(therapist.id, '11:00', { patientPhone: '+5491100000011' }) })).json.id);
    const vacation = await service.request('POST', '/api/availability/exceptions', { token: therapist.token, body: { date: '2027-03-02', allDay: true, reason: 'Congreso' } });
    expect(vacation.status).toBe(201);
    expect(vacation.json.warnings).toEqual([
      expect.objectContaining({
        code: 'exception_over_bookings',
        sessions: [{ sessionId, startsAt: '2027-03-02T12:00:00.000Z' }],
        bookingRequests: [{ bookingId: pendingId, startsAt: '2027-03-02T14:00:00.000Z' }],
      }),
    ]);
    expect(await slotStatus(therapist.id, '10:00')).toBeUndefined();
  });

  it('answers 409 with up to 5 nearest available alternatives when the slot is taken', async () => {
    const therapist = await openTherapist();
    await service.request('POST', '/api/public/bookings', { body: bookingBody(therapist.id, '10:00') });
    const lost = await service.request('POST', '/api/public/bookings', { body: bookingBody(therapist.id, '10:00', { patientPhone: '+5491199999999' }) });
    expect(lost.status).toBe(409);
    expect(lost.headers.get('content-type')).toContain('application/problem+json');
    expect(lost.json).toMatchObject({ code: 'slot_unavailable', requestedDate: '2027-03-02', requestedTime: '10:00' });
    const alternatives = lost.json.alternatives as { date: string; time: string }[];
    expect(alternatives.length).toBeGreaterThan(0);
    expect(alternatives.length).toBeLessThanOrEqual(5);
    expect(alternatives[0]).toMatchObject({ date: '2027-03-02' });
    expect(alternatives.some((a) => a.date === '2027-03-02' && a.time === '10:00')).toBe(false);
  });

  it('returns the first answer to a retried request with the same Idempotency-Key, booking once', async () => {
    const therapist = await openTherapist();
    const headers = { 'Idempotency-Key': `retry-${therapist.id}` };
    const first = await service.request('POST', '/api/public/bookings', { body: bookingBody(therapist.id), headers });
    const second = await service.request('POST', '/api/public/bookings', { body: bookingBody(therapist.id), headers });
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.json).toEqual(first.json);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect((await eventsOf(therapist.id)).filter((t) => t === 'BookingRequested')).toHaveLength(1);
    const other = await service.request('POST', '/api/public/bookings', { body: bookingBody(therapist.id, '11:00'), headers });
    expect(other.status).toBe(422);
    expect(other.json).toMatchObject({ errors: [{ field: 'Idempotency-Key' }] });
  });

  it('validates and sanitises the patient’s details field by field (BR-BK-004)', async () => {
    const therapist = await openTherapist();
    const bad = await service.request('POST', '/api/public/bookings', {
      body: { ...bookingBody(therapist.id), patientName: ' <i>J</i> ', patientEmail: 'not-an-email', patientPhone: '1112345678', requestedDate: '2027-02-30', requestedTime: '9am', paymentMethod: 'cash' },
    });
    expect(bad.status).toBe(422);
    expect((bad.json.errors as { field: string }[]).map((e) => e.field).sort()).toEqual(['patientEmail', 'patientName', 'patientPhone', 'paymentMethod', 'requestedDate', 'requestedTime']);

    const cleaned = await service.request('POST', '/api/public/bookings', {
      body: { ...bookingBody(therapist.id, '11:00'), patientName: '  <b>Ana</b> Gómez ', patientEmail: '  Ana.Gomez@Example.COM ', patientPhone: '+54 9 11 (2345) 6789', reasonForConsultation: '<script>x</script>Ansiedad' },
    });
    expect(cleaned.status).toBe(201);
    const list = await service.request('GET', '/api/bookings?status=pending_payment', { token: therapist.token });
    const mine = (list.json.bookings as { id: string; patient: Record<string, unknown>; reasonForConsultation: string }[]).find((b) => b.id === cleaned.json.id);
    expect(mine?.patient).toMatchObject({ name: 'Ana Gómez', email: 'ana.gomez@example.com', phone: '+5491123456789' });
    expect(mine?.reasonForConsultation).toBe('xAnsiedad');
  });

  it('answers a booking for a therapist nobody registered with 404, and a wrong booking id with 404 or 400', async () => {
    const res = await service.request('POST', '/api/public/bookings', { body: bookingBody('00000000-0000-4000-8000-000000000000') });
    expect(res.status).toBe(404);
    expect(res.json).toMatchObject({ code: 'therapist_not_found', detail: 'No therapist is registered with this id' });
    const unknown = '00000000-0000-4000-8000-000000000000';
    expect((await service.request('GET', `/api/public/bookings/${unknown}?token=${service.services.patientTokens.tokenFor(unknown)}`)).status).toBe(404);
    const malformed = await service.request('GET', '/api/public/bookings/not-an-id');
    expect(malformed.status).toBe(400);
    expect(malformed.json).toMatchObject({ errors: [{ field: 'id' }] });
  });

  it('refuses slots inside the minimum notice, past the horizon, or where no session starts', async () => {
    const therapist = await aTherapist(service.services);
    await service.request('POST', '/api/availability/rules', { token: therapist.token, body: { rules: [1, 2, 3, 4, 5].map((d) => ({ dayOfWeek: d, startTime: '09:00', endTime: '12:00' })) } });
    for (const [date, time] of [['2027-03-01', '09:00'], ['2027-05-03', '10:00'], ['2027-03-02', '09:30']] as const) {
      const res = await service.request('POST', '/api/public/bookings', { body: { ...bookingBody(therapist.id, time), requestedDate: date } });
      expect(res.status, `${date} ${time}`).toBe(409);
      expect(res.json).toMatchObject({ code: 'slot_unavailable' });
    }
  });

  it('lists the therapist’s bookings with filters and pages', async () => {
    const therapist = await openTherapist();
    for (const time of ['09:00', '10:00', '11:00']) await service.request('POST', '/api/public/bookings', { body: bookingBody(therapist.id, time, { patientPhone: `+54911000000${time.slice(0, 2)}` }) });
    const page1 = await service.request('GET', '/api/bookings?pageSize=2&page=1&from=2027-03-02&to=2027-03-02', { token: therapist.token });
    expect(page1.json).toMatchObject({ total: 3, page: 1, pageSize: 2 });
    expect((page1.json.bookings as { requestedTime: string }[]).map((b) => b.requestedTime)).toEqual(['09:00', '10:00']);
    const page2 = await service.request('GET', '/api/bookings?pageSize=2&page=2', { token: therapist.token });
    expect((page2.json.bookings as { requestedTime: string }[]).map((b) => b.requestedTime)).toEqual(['11:00']);
    expect((await service.request('GET', '/api/bookings?status=bogus', { token: therapist.token })).status).toBe(400);
    const other = await aTherapist(service.services);
    expect((await service.request('GET', '/api/bookings', { token: other.token })).json).toMatchObject({ total: 0 });
    const foreignId = String((page1.json.bookings as { id: string }[])[0]?.id);
    expect((await service.request('POST', `/api/bookings/${foreignId}/confirm`, { token: other.token })).status).toBe(404);
  });

  it('records session outcomes once the session has started', async () => {
    const therapist = await openTherapist();
    const id = String((await service.request('POST', '/api/public/bookings', { body: bookingBody(therapist.id) })).json.id);
    const sessionId = String((await service.request('POST', `/api/bookings/${id}/confirm`, { token: therapist.token })).json.sessionId);
    const early = await service.request('POST', `/api/sessions/${sessionId}/complete`, { token: therapist.token });
    expect(early.status).toBe(409);
    expect(early.json).toMatchObject({ code: 'session_not_started' });
    clock.set('2027-03-02T13:55:00.000Z');
    expect((await service.request('POST', `/api/sessions/${sessionId}/complete`, { token: therapist.token })).json).toMatchObject({ status: 'completed' });
    expect((await service.request('POST', `/api/sessions/${sessionId}/no-show`, { token: therapist.token })).status).toBe(409);
    const sessions = await service.request('GET', '/api/sessions?from=2027-03-02T00:00:00Z&to=2027-03-03T00:00:00Z', { token: therapist.token });
    expect(sessions.json.sessions).toEqual([expect.objectContaining({ id: sessionId, status: 'completed' })]);
  });
});

/** A service of its own: the sweep counts every due request in the database, so no other specification's may be there. */
describe('Booking expiry: the hold, then the request, end with the clock', () => {
  let service: TestService;
  const clock = new ManualClock(NOW);
  beforeAll(async () => {
    service = await startTestService({ clock });
  });
  afterAll(async () => {
    await service.close();
  });
  beforeEach(() => clock.set(NOW));

  const { openTherapist, slotStatus, eventsOf } = bookingHelpers(() => service);

  it('locks an unpaid slot, frees it when the hold ends, and expires the request after an hour (clock injected)', async () => {
    const therapist = await openTherapist();
    const requested = await service.request('POST', '/api/public/bookings', { body: bookingBody(therapist.id, '11:00') });
    const id = String(requested.json.id);
    expect(await slotStatus(therapist.id, '11:00')).toBe('locked');

    clock.advance(10 * MINUTE + 1);
    // The query applies the hold's expiry itself: no event is needed for the slot to come back.
    expect(await slotStatus(therapist.id, '11:00')).toBe('available');
    expect(await sweepBookingDeadlines(service.services)).toMatchObject({ holdsReleased: 1, expired: 0 });
    expect(await eventsOf(therapist.id)).toContain('BookingHoldExpired');

    clock.advance(50 * MINUTE);
    expect(await sweepBookingDeadlines(service.services)).toMatchObject({ expired: 1 });
    await expect.poll(async () => (await service.request('GET', `/api/public/bookings/${id}?token=${String(requested.json.patientToken)}`)).json.status, { timeout: 20_000 }).toBe('expired');
    const confirm = await service.request('POST', `/api/bookings/${id}/confirm`, { token: therapist.token });
    expect(confirm.status).toBe(409);
    expect(confirm.json).toMatchObject({ code: 'booking_expired' });

    // A day later the request leaves the working read model; the history keeps it.
    clock.advance(25 * 60 * MINUTE);
    expect((await sweepBookingDeadlines(service.services)).archived).toBeGreaterThanOrEqual(1);
    await expect.poll(async () => (await service.services.db('read.booking_requests').where({ id }).first<{ id: string } | undefined>())?.id, { timeout: 20_000 }).toBeUndefined();
    // The patient's link still tells them what became of it: the calendar remembers the request.
    expect((await service.request('GET', `/api/public/bookings/${id}?token=${String(requested.json.patientToken)}`)).json.status).toBe('expired');
    expect(await eventsOf(therapist.id)).toEqual(expect.arrayContaining(['BookingRequested', 'BookingHoldExpired', 'BookingExpired', 'BookingRequestArchived']));
  });
});
