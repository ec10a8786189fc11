import { describe, expect, it } from 'vitest';
import { bookingBody, MONDAY_8AM, openTherapist } from '../support/calendar-fixtures.js';
import { plaintextFindings } from '../support/plaintext-scan.js';
import { useTestService } from '../support/service.js';
import { aTherapist } from '../support/therapists.js';

const MARTA = {
  name: 'Marta Perfil',
  email: 'Marta.Perfil@Example.com',
  phone: '+54 9 11 6000-1111',
  dateOfBirth: '1985-06-15',
  gender: 'femenino',
  emergencyContactName: 'Hernán Perfil',
  emergencyContactPhone: '+5491160002222',
  preferredContactMethod: 'email',
  preferredLanguage: 'es',
  occupation: 'Arquitecta',
  city: 'Rosario',
  referralSource: 'Recomendación',
};

/** The therapist's patients over HTTP: register directly, read, replace the profile, search, page, forget. */
describe('Patients API', () => {
  const given = useTestService({ now: MONDAY_8AM });
  const post = (token: string, body: unknown) => given.service.request('POST', '/api/patients', { token, body });

  it('registers a patient with their profile, sealed in the events, and shows it back normalised', async () => {
    const therapist = await aTherapist(given.service.services);
    const created = await post(therapist.token, MARTA);
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ name: 'Marta Perfil', email: 'marta.perfil@example.com', phone: '+5491160001111', dateOfBirth: '1985-06-15', emergencyContact: { name: 'Hernán Perfil', phone: '+5491160002222' }, preferredContactMethod: 'email', city: 'Rosario', archived: false, forgotten: false });
    const id = String(created.json.id);
    expect(created.headers.get('location')).toBe(`/api/patients/${id}`);
    const events = await given.service.services.store.readStream(`patient-${id}`);
    expect(events.map((e) => e.type)).toEqual(['PatientRegistered', 'PatientProfileUpdated']);
    expect(JSON.stringify(events.map((e) => e.data))).not.toMatch(/Marta|Perfil|6000|Rosario|Arquitecta/);
  });

  it('refuses the same person twice (by phone, or by e-mail) with a 409 naming the record', async () => {
    const therapist = await aTherapist(given.service.services);
    const first = String((await post(therapist.token, MARTA)).json.id);
    const samePhone = await post(therapist.token, { ...MARTA, email: null });
    expect(samePhone.status).toBe(409);
    expect(samePhone.json).toMatchObject({ code: 'patient_already_registered', field: 'phone', patientId: first });
    const sameEmail = await post(therapist.token, { ...MARTA, phone: '+5491160009999' });
    expect(sameEmail.json).toMatchObject({ code: 'patient_already_registered', field: 'email', patientId: first });
    // Another therapist's patients are theirs alone (BR-PP-004).
    expect((await post((await aTherapist(given.service.services)).token, MARTA)).status).toBe(201);
  });

  it('links a later booking with the same phone to the directly registered patient', async () => {
    const therapist = await openTherapist(given.service);
    const id = String((await post(therapist.token, { ...MARTA, phone: '+5491160005555', email: null })).json.id);
    const booked = await given.service.request('POST', '/api/public/bookings', { body: bookingBody(therapist.id, '10:00', { patientPhone: '+5491160005555' }) });
    expect((await given.service.request('POST', `/api/bookings/${String(booked.json.id)}/confirm`, { token: therapist.token })).status).toBe(200);
    const events = await given.service.services.store.readStream(`patient-${id}`);
    expect(events.map((e) => [e.type, (e.data as { matchedBy?: string }).matchedBy])).toEqual([['PatientRegistered', undefined], ['PatientProfileUpdated', undefined], ['BookingLinkedToPatient', 'phone']]);
    // The booking's e-mail fills in what the record lacked (BR-PP-003).
    await expect.poll(async () => (await given.service.request('GET', `/api/patients/${id}`, { token: therapist.token })).json.email, { timeout: 20_000 }).toBe('juan@example.com');
    // With its statistics as of now: the confirmed booking is the next session, paid.
    expect((await given.service.request('GET', `/api/patients/${id}`, { token: therapist.token })).json.statistics).toEqual({
      attended: 0, cancelled: 0, noShows: 0, attendanceRate: null, firstSessionAt: '2027-03-02T13:00:00.000Z', lastSessionAt: null,
      nextSessionAt: '2027-03-02T13:00:00.000Z', totalPaid: 15000, outstandingBalance: 0, sessionsPerMonth: { '2027-03': 1 },
    });
  });

  it('answers bad fields one by one, and loses nothing', async () => {
    const therapist = await aTherapist(given.service.services);
    const bad = await post(therapist.token, { ...MARTA, phone: '1234', dateOfBirth: '2099-01-01', preferredContactMethod: 'fax', name: '<b>X</b>' });
    expect(bad.status).toBe(422);
    expect((bad.json.errors as { field: string }[]).map((e) => e.field).sort()).toEqual(['dateOfBirth', 'name', 'phone', 'preferredContactMethod']);
    expect((await given.service.request('GET', '/api/patients?status=all', { token: therapist.token })).json.patients).toEqual([]);
  });

  it('replaces the profile (PUT), and keeps another therapist out (404)', async () => {
    const therapist = await aTherapist(given.service.services);
    const id = String((await post(therapist.token, MARTA)).json.id);
    const updated = await given.service.request('PUT', `/api/patients/${id}`, { token: therapist.token, body: { ...MARTA, city: 'Córdoba', occupation: null } });
    expect(updated.status).toBe(200);
    expect(updated.json).toMatchObject({ city: 'Córdoba', occupation: null, name: 'Marta Perfil' });
    const stranger = await aTherapist(given.service.services);
    expect((await given.service.request('GET', `/api/patients/${id}`, { token: stranger.token })).status).toBe(404);
    expect((await given.service.request('PUT', `/api/patients/${id}`, { token: stranger.token, body: MARTA })).status).toBe(404);
  });

  it('searches by name, e-mail or phone, and pages 25 at a time with a cursor', async () => {
    const therapist = await aTherapist(given.service.services);
    for (let i = 0; i < 30; i++) {
      const n = String(i).padStart(2, '0');
      expect((await post(therapist.token, { name: `Paciente ${n}`, phone: `+54911700000${n}`, email: i === 7 ? 'siete@example.com' : null })).status).toBe(201);
    }
    const list = (query: string) => given.service.request('GET', `/api/patients${query}`, { token: therapist.token });
    const first = await list('');
    expect((first.json.patients as { name: string }[]).map((p) => p.name)).toEqual(Array.from({ length: 25 }, (_, i) => `Paciente ${String(i).padStart(2, '0')}`));
    const second = await list(`?cursor=${String(first.json.nextCursor)}`);
    expect((second.json.patients as { name: string }[]).map((p) => p.name)).toEqual(['Paciente 25', 'Paciente 26', 'Paciente 27', 'Paciente 28', 'Paciente 29']);
    expect(second.json.nextCursor).toBeNull();
    expect((await list('?q=paciente%2012')).json.patients).toEqual([expect.objectContaining({ name: 'Paciente 12' })]);
    expect((await list('?q=SIETE@')).json.patients).toEqual([expect.objectContaining({ name: 'Paciente 07' })]);
    expect((await list('?q=9%2011%207000-0029')).json.patients).toEqual([expect.objectContaining({ name: 'Paciente 29' })]);
    expect((await list('?cursor=not-ours')).status).toBe(400);
  });

  it('sorts by next session, last session or attendance rate as of now, those without one last, and pages by the same order', async () => {
    const therapist = await openTherapist(given.service);
    const patientAt: Record<string, string> = {};
    for (const [time, phone] of [['11:00', '+5491160007011'], ['09:00', '+5491160007009'], ['10:00', '+5491160007010']] as const) {
      const booked = await given.service.request('POST', '/api/public/bookings', { body: bookingBody(therapist.id, time, { patientName: `Paciente ${time}`, patientPhone: phone, patientEmail: `p${phone.slice(-3)}@example.com` }) });
      expect((await given.service.request('POST', `/api/bookings/${String(booked.json.id)}/confirm`, { token: therapist.token })).status).toBe(200);
    }
    await post(therapist.token, { name: 'Sin sesiones', phone: '+5491160007999' });
    const names = async (query: string) => ((await given.service.request('GET', `/api/patients?status=all&${query}`, { token: therapist.token })).json.patients as { name: string }[]).map((p) => p.name);
    await expect.poll(() => names('sort=next_session'), { timeout: 20_000 }).toEqual(['Paciente 09:00', 'Paciente 10:00', 'Paciente 11:00', 'Sin sesiones']);

    // After the sessions: 09:00 was attended, 10:00 missed, 11:00 not recorded yet.
    given.clock.set('2027-03-02T16:00:00.000Z');
    const sessions = (await given.service.request('GET', '/api/sessions?from=2027-03-02T00:00:00Z&to=2027-03-03T00:00:00Z', { token: therapist.token })).json.sessions as { id: string; startsAt: string }[];
    for (const session of sessions) patientAt[session.startsAt] = session.id;
    expect((await given.service.request('POST', `/api/sessions/${patientAt['2027-03-02T12:00:00.000Z'] ?? ''}/complete`, { token: therapist.token })).status).toBe(200);
    expect((await given.service.request('POST', `/api/sessions/${patientAt['2027-03-02T13:00:00.000Z'] ?? ''}/no-show`, { token: therapist.token })).status).toBe(200);
    expect(await names('sort=last_session')).toEqual(['Paciente 11:00', 'Paciente 10:00', 'Paciente 09:00', 'Sin sesiones']);
    // 100 %; then those with no rate (a no-show counts in neither term of BR-PP-002), in id order.
    await expect.poll(async () => (await names('sort=attendance_rate')).slice(0, 1), { timeout: 20_000 }).toEqual(['Paciente 09:00']);
    expect((await names('sort=attendance_rate')).slice(1).sort()).toEqual(['Paciente 10:00', 'Paciente 11:00', 'Sin sesiones']);
    const wrongOrder = await given.service.request('GET', `/api/patients?sort=last_session&cursor=${Buffer.from(JSON.stringify(['name', false, 'x', '00000000-0000-4000-8000-000000000000'])).toString('base64url')}`, { token: therapist.token });
    expect(wrongOrder.status).toBe(400);
  });

  it('pages through patients without a sort key (no session yet) by id, on the second page too', async () => {
    const therapist = await aTherapist(given.service.services);
    for (let i = 0; i < 27; i++) expect((await post(therapist.token, { name: `Sin turno ${String(i).padStart(2, '0')}`, phone: `+54911720000${String(i).padStart(2, '0')}` })).status).toBe(201);
    const first = await given.service.request('GET', '/api/patients?sort=next_session', { token: therapist.token });
    expect(first.json.patients).toHaveLength(25);
    const second = await given.service.request('GET', `/api/patients?sort=next_session&cursor=${String(first.json.nextCursor)}`, { token: therapist.token });
    expect(second.status).toBe(200);
    const seen = [...(first.json.patients as { id: string }[]), ...(second.json.patients as { id: string }[])].map((p) => p.id);
    expect(new Set(seen).size).toBe(27);
  });

  it('shows a patient with no session for two years as archived, never deleted', async () => {
    const therapist = await aTherapist(given.service.services);
    const id = String((await post(therapist.token, MARTA)).json.id);
    given.clock.set('2029-06-01T12:00:00.000Z');
    const list = (status: string) => given.service.request('GET', `/api/patients?status=${status}`, { token: therapist.token });
    expect((await list('active')).json.patients).toEqual([]);
    expect((await list('archived')).json.patients).toEqual([expect.objectContaining({ id, archived: true })]);
  });

  it('forgets every profile field', async () => {
    const therapist = await aTherapist(given.service.services);
    // Values of this test alone (the others' patients keep theirs).
    const olga = { ...MARTA, name: 'Olga Olvidada', email: 'olga@example.com', phone: '+5491160003333', dateOfBirth: '1971-02-03', emergencyContactName: 'Tomás Olvidado', emergencyContactPhone: '+5491160004444', occupation: 'Escultora' };
    const id = String((await post(therapist.token, olga)).json.id);
    const forgotten = await given.service.request('POST', `/api/patients/${id}/forget`, { token: therapist.token });
    expect(forgotten.json).toMatchObject({ forgotten: true, name: null, email: null, phone: null, dateOfBirth: null, emergencyContact: { name: null, phone: null }, occupation: null, city: null });
    // Whole values, not fragments: a four-letter fragment turns up by chance in base64 ciphertext (case-insensitively ~1 in 10⁶ positions).
    expect(await plaintextFindings(given.service.services.db, ['Olga Olvidada', 'Olvidad', 'olga@', '5491160003333', 'Tomás', '5491160004444', 'Escultora', '1971-02-03'])).toEqual([]);
    const refused = await given.service.request('PUT', `/api/patients/${id}`, { token: therapist.token, body: olga });
    expect(refused.status).toBe(409);
    expect(refused.json).toMatchObject({ code: 'patient_forgotten' });
  });
});
