import { describe, expect, it } from 'vitest';
import { bookingBody, MONDAY_8AM, openTherapist } from '../support/calendar-fixtures.js';
import { useTestService } from '../support/service.js';
import { aTherapist } from '../support/therapists.js';

/** A patient's history over HTTP: sessions and the booking requests behind them, filtered, paged, and as CSV. */
describe('Patient history', () => {
  const given = useTestService({ now: MONDAY_8AM });

  async function aPatientWithThreeBookings(name = 'Hugo Historia') {
    const therapist = await openTherapist(given.service);
    const ids: string[] = [];
    for (const time of ['09:00', '10:00', '11:00']) {
      const booked = await given.service.request('POST', '/api/public/bookings', { body: bookingBody(therapist.id, time, { patientName: name, patientPhone: '+5491180001111' }) });
      ids.push(String(booked.json.id));
      expect((await given.service.request('POST', `/api/bookings/${String(booked.json.id)}/confirm`, { token: therapist.token })).status).toBe(200);
    }
    const list = await given.service.request('GET', '/api/bookings?status=confirmed', { token: therapist.token });
    const patientId = String((list.json.bookings as { patient: { patientId: string } }[])[0]?.patient.patientId);
    return { therapist, patientId, ids };
  }

  it('lists every session and booking request, newest first, filtered by status, payment and local date', async () => {
    const { therapist, patientId } = await aPatientWithThreeBookings();
    const history = async (query = '') => (await given.service.request('GET', `/api/patients/${patientId}/history${query}`, { token: therapist.token })).json;
    const all = await history();
    expect(all).toMatchObject({ total: 6, page: 1, pageSize: 50 });
    expect((all.entries as { kind: string; startsAt: string }[]).map((e) => [e.kind, e.startsAt])).toEqual([
      ['booking_request', '2027-03-02T14:00:00.000Z'], ['session', '2027-03-02T14:00:00.000Z'],
      ['booking_request', '2027-03-02T13:00:00.000Z'], ['session', '2027-03-02T13:00:00.000Z'],
      ['booking_request', '2027-03-02T12:00:00.000Z'], ['session', '2027-03-02T12:00:00.000Z'],
    ]);
    expect((await history('?status=scheduled')).total).toBe(3);
    expect((await history('?payment=pending')).total).toBe(0);
    expect((await history('?from=2027-03-03')).total).toBe(0);
    expect((await history('?from=2027-03-02&to=2027-03-02')).total).toBe(6);
    const bad = await given.service.request('GET', `/api/patients/${patientId}/history?status=lost&from=2027-02-30`, { token: therapist.token });
    expect(bad.status).toBe(400);
    expect((bad.json.errors as { field: string }[]).map((e) => e.field).sort()).toEqual(['from', 'status']);
    const stranger = await aTherapist(given.service.services);
    expect((await given.service.request('GET', `/api/patients/${patientId}/history`, { token: stranger.token })).status).toBe(404);
  });

  it('exports it as CSV, a cell that a spreadsheet would run as a formula neutralised', async () => {
    const { therapist, patientId } = await aPatientWithThreeBookings('=HYPERLINK("http://evil")');
    const csv = await given.service.request('GET', `/api/patients/${patientId}/history?format=csv`, { token: therapist.token });
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toContain('text/csv');
    expect(csv.headers.get('content-disposition')).toContain(`patient-${patientId}-history.csv`);
    const lines = String(csv.body).trim().split('\r\n');
    expect(lines[0]).toBe('patient,kind,id,status,startsAt,endsAt,price,paymentStatus,source,bookingId');
    expect(lines).toHaveLength(7);
    expect(lines[1]).toMatch(/^"'=HYPERLINK\(""http:\/\/evil""\)",booking_request,/);
    const byAccept = await given.service.request('GET', `/api/patients/${patientId}/history`, { token: therapist.token, headers: { accept: 'text/csv' } });
    expect(byAccept.headers.get('content-type')).toContain('text/csv');
  });
});
