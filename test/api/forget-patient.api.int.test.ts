import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../infra/clock.js';
import { bookingBody, MONDAY_8AM, openTherapist } from '../support/calendar-fixtures.js';
import { createTestDatabase } from '../support/database.js';
import { plaintextFindings } from '../support/plaintext-scan.js';
import { startTestService, type TestService } from '../support/service.js';
import { aTherapist } from '../support/therapists.js';
import { newestCommittedPosition } from '../support/log-position.js';

/** Someone who asks to be forgotten (BR-PP-005), and every value they ever typed. */
const VALENTINA = { patientName: 'Valentina Olvidable', patientEmail: 'valentina.olvidable@example.com', patientPhone: '+5491177001122', reasonForConsultation: 'Duelo reciente por mi madre' };
const SECOND_EMAIL = 'vale.segunda@example.com';
const SECOND_PHONE = '+5491177009988';
const VALUES = ['Valentina', 'Olvidable', 'valentina.olvidable', '5491177001122', 'Duelo reciente', 'vale.segunda', '5491177009988', 'prefiere WhatsApp', 'Silla de ruedas', 'Ramiro Contacto', '5491177003344', 'Traductora', 'cancela por un viaje'];

/**
 * Personal data lives sealed in events under keys kept outside the log, and in read models;
 * forgetting a patient destroys their keys. Afterwards the history still replays, and no table of
 * any schema (events included), no rebuilt read model and no restarted service shows the person.
 */
describe('Forgetting a patient', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let service: TestService;
  const clock = new ManualClock(MONDAY_8AM);
  const start = () => startTestService({ clock, databaseUrl: database.url });
  beforeAll(async () => {
    database = await createTestDatabase('forget');
    service = await start();
  });
  afterAll(async () => {
    await service.close();
    await database.drop();
  });

  const patientEvents = async (patientId: string) => (await service.services.store.readStream(`patient-${patientId}`)).map((e) => ({ type: e.type, data: e.data as Record<string, unknown> }));
  async function bookAndConfirm(therapist: { id: string; token: string }, time: string, who: Record<string, unknown>): Promise<string> {
    const booked = await service.request('POST', '/api/public/bookings', { body: bookingBody(therapist.id, time, who) });
    expect(booked.status).toBe(201);
    const id = String(booked.json.id);
    expect((await service.request('POST', `/api/bookings/${id}/confirm`, { token: therapist.token })).status).toBe(200);
    let patientId: unknown;
    await expect.poll(async () => {
      const list = await service.request('GET', '/api/bookings?status=confirmed', { token: therapist.token });
      patientId = (list.json.bookings as { id: string; patient: { patientId: string } }[]).find((b) => b.id === id)?.patient.patientId;
      return patientId;
    }, { timeout: 20_000 }).toBeTruthy();
    return String(patientId);
  }

  it('resolves bookings to one patient by phone, then e-mail, as events; and forgets them everywhere', async () => {
    const therapist = await openTherapist(service);
    const patientId = await bookAndConfirm(therapist, '09:00', VALENTINA);
    const registered = await patientEvents(patientId);
    expect(registered).toEqual([{ type: 'PatientRegistered', data: expect.objectContaining({ patientId, therapistId: therapist.id, contact: { keyId: expect.any(String) as unknown, ciphertext: expect.any(String) as unknown } }) as unknown }]);

    expect(await bookAndConfirm(therapist, '10:00', { ...VALENTINA, patientEmail: SECOND_EMAIL })).toBe(patientId);
    expect(await bookAndConfirm(therapist, '11:00', { ...VALENTINA, patientPhone: SECOND_PHONE })).toBe(patientId);
    expect((await patientEvents(patientId)).slice(1).map((e) => [e.type, e.data.matchedBy])).toEqual([['BookingLinkedToPatient', 'phone'], ['BookingLinkedToPatient', 'email']]);

    // Their profile, notes and preferences, sealed under their own key.
    const profile = { name: VALENTINA.patientName, email: VALENTINA.patientEmail, phone: VALENTINA.patientPhone, emergencyContactName: 'Ramiro Contacto', emergencyContactPhone: '+5491177003344', occupation: 'Traductora' };
    expect((await service.request('PUT', `/api/patients/${patientId}`, { token: therapist.token, body: profile })).status).toBe(200);
    expect((await service.request('POST', `/api/patients/${patientId}/notes`, { token: therapist.token, body: { content: 'Nota de Valentina: prefiere WhatsApp', pinned: true } })).status).toBe(201);
    expect((await service.request('PUT', `/api/patients/${patientId}/preferences`, { token: therapist.token, body: { specialAccommodations: 'Silla de ruedas de Valentina', customPrice: 12000 } })).status).toBe(200);

    // A request of theirs that was never confirmed, so never linked to the record: found by phone when forgetting.
    const unconfirmed = await service.request('POST', '/api/public/bookings', { body: bookingBody(therapist.id, '11:00', { ...VALENTINA, requestedDate: '2027-03-09' }) });
    expect((await service.request('POST', `/api/public/bookings/${String(unconfirmed.json.id)}/cancel`, { body: { token: unconfirmed.json.patientToken, reason: 'Valentina cancela por un viaje' } })).status).toBe(200);
    const stillOpen = await service.request('POST', '/api/public/bookings', { body: bookingBody(therapist.id, '10:00', { ...VALENTINA, requestedDate: '2027-03-09' }) });
    expect(stillOpen.status).toBe(201);

    await expect.poll(async () => (await service.request('GET', `/api/patients/${patientId}`, { token: therapist.token })).json, { timeout: 20_000 }).toMatchObject({ name: VALENTINA.patientName, forgotten: false });
    const stranger = await aTherapist(service.services);
    expect((await service.request('GET', `/api/patients/${patientId}`, { token: stranger.token })).status).toBe(404);
    expect((await service.request('POST', `/api/patients/${patientId}/forget`, { token: stranger.token })).status).toBe(404);
    // Before forgetting, the person is in the read models (as they should be), and only there: never in the events.
    const before = await plaintextFindings(service.services.db, VALUES);
    expect(before).not.toEqual([]);
    expect(before.filter((finding) => !finding.startsWith('read.'))).toEqual([]);

    const forgotten = await service.request('POST', `/api/patients/${patientId}/forget`, { token: therapist.token });
    expect(forgotten.status).toBe(200);
    expect(forgotten.json).toMatchObject({ id: patientId, name: null, email: null, phone: null, forgotten: true });
    expect((await patientEvents(patientId)).map((e) => e.type)).toEqual(['PatientRegistered', 'BookingLinkedToPatient', 'BookingLinkedToPatient', 'PatientProfileUpdated', 'PatientNoteAdded', 'PatientPreferencesSet', 'PatientForgotten']);
    expect((await patientEvents(patientId))[6]?.data.bookingIds).toHaveLength(5);
    // Their request still open cannot be confirmed: its contact is gone, and no record is made of them.
    const refused = await service.request('POST', `/api/bookings/${String(stillOpen.json.id)}/confirm`, { token: therapist.token });
    expect(refused.status).toBe(409);
    expect(refused.json).toMatchObject({ code: 'booking_contact_forgotten' });
    await expect.poll(() => plaintextFindings(service.services.db, VALUES), { timeout: 20_000 }).toEqual([]);

    // The history still replays: three confirmed sessions, their dates and prices.
    const sessions = await service.request('GET', '/api/sessions?from=2027-03-02T00:00:00Z&to=2027-03-03T00:00:00Z', { token: therapist.token });
    expect((sessions.json.sessions as { price: number; patient: { name: string | null } }[]).map((s) => [s.price, s.patient.name])).toEqual([[15000, null], [15000, null], [15000, null]]);

    for (const { name } of await service.services.projections.status()) await service.services.projections.rebuild(name);
    await service.services.projections.waitFor(await newestCommittedPosition(service.services.db), { timeoutMs: 30_000 });
    expect((await service.request('GET', '/api/bookings?status=confirmed', { token: therapist.token })).json.bookings).toHaveLength(3);
    expect(await plaintextFindings(service.services.db, VALUES)).toEqual([]);

    await service.close();
    service = await start();
    await expect.poll(async () => (await service.request('GET', `/api/patients/${patientId}`, { token: therapist.token })).json, { timeout: 20_000 }).toMatchObject({ forgotten: true, name: null });
    expect(await plaintextFindings(service.services.db, VALUES)).toEqual([]);

    // The same phone later is someone new: nothing links them to the forgotten record.
    const again = await bookAndConfirm(therapist, '09:00', { ...VALENTINA, requestedDate: '2027-03-09' });
    expect(again).not.toBe(patientId);
  });

  it('leaves no patient behind when a confirmation is refused', async () => {
    const therapist = await openTherapist(service);
    const booked = await service.request('POST', '/api/public/bookings', { body: bookingBody(therapist.id, '09:00', { patientPhone: '+5491133334444' }) });
    clock.set(new Date(Date.parse(MONDAY_8AM) + 61 * 60_000));
    try {
      const refused = await service.request('POST', `/api/bookings/${String(booked.json.id)}/confirm`, { token: therapist.token });
      expect(refused.status).toBe(409);
      expect(await service.services.db('app.patient_identities').where({ therapist_id: therapist.id })).toEqual([]);
      const patientStreams = await service.services.db('event_store.streams').where('stream_id', 'like', 'patient-%').select('stream_id');
      for (const { stream_id } of patientStreams as { stream_id: string }[]) {
        expect((await service.services.store.readStream(stream_id))[0]?.data).not.toMatchObject({ therapistId: therapist.id });
      }
    } finally {
      clock.set(MONDAY_8AM);
    }
  });
});
