import { describe, expect, it } from 'vitest';
import { MONDAY_8AM } from '../support/calendar-fixtures.js';
import { plaintextFindings } from '../support/plaintext-scan.js';
import { useTestService } from '../support/service.js';
import { aTherapist } from '../support/therapists.js';

/** Administrative notes and preferences of a patient (BR-PP-001), sealed in the events, forgotten with them. */
describe('Patient notes and preferences', () => {
  const given = useTestService({ now: MONDAY_8AM });
  let n = 0;
  async function aPatient() {
    const therapist = await aTherapist(given.service.services);
    n += 1;
    const created = await given.service.request('POST', '/api/patients', { token: therapist.token, body: { name: `Nora Notas ${n}`, phone: `+549117100${String(n).padStart(4, '0')}` } });
    expect(created.status).toBe(201);
    return { therapist, id: String(created.json.id) };
  }
  const notesOf = async (token: string, id: string, query = '') => (await given.service.request('GET', `/api/patients/${id}/notes${query}`, { token })).json.notes as { id: string; content: string; pinned: boolean; type: string }[];

  it('adds, edits, pins and deletes notes, listed pinned first then newest, each with its author', async () => {
    const { therapist, id } = await aPatient();
    const note = (body: unknown) => given.service.request('POST', `/api/patients/${id}/notes`, { token: therapist.token, body });
    const first = await note({ content: 'Prefiere turnos por la mañana', type: 'preferences' });
    expect(first.status).toBe(201);
    expect(first.json).toMatchObject({ type: 'preferences', content: 'Prefiere turnos por la mañana', pinned: false, authorId: therapist.id });
    given.clock.advance(60_000);
    const second = await note({ content: 'Factura a nombre de la obra social', type: 'administrative', pinned: true });
    given.clock.advance(60_000);
    await note({ content: 'Llega siempre puntual' });
    expect((await notesOf(therapist.token, id)).map((x) => x.content)).toEqual(['Factura a nombre de la obra social', 'Llega siempre puntual', 'Prefiere turnos por la mañana']);

    const firstId = String(first.json.id);
    expect((await given.service.request('PUT', `/api/patients/${id}/notes/${firstId}`, { token: therapist.token, body: { type: 'general', content: 'Prefiere la tarde' } })).json).toMatchObject({ content: 'Prefiere la tarde', editorId: therapist.id });
    expect((await given.service.request('POST', `/api/patients/${id}/notes/${firstId}/pin`, { token: therapist.token })).json).toMatchObject({ pinned: true });
    expect((await given.service.request('POST', `/api/patients/${id}/notes/${String(second.json.id)}/unpin`, { token: therapist.token })).json).toMatchObject({ pinned: false });
    expect((await notesOf(therapist.token, id, '?q=TARDE')).map((x) => x.content)).toEqual(['Prefiere la tarde']);
    expect((await given.service.request('DELETE', `/api/patients/${id}/notes/${String(second.json.id)}`, { token: therapist.token })).status).toBe(204);
    expect((await notesOf(therapist.token, id)).map((x) => [x.content, x.pinned])).toEqual([['Prefiere la tarde', true], ['Llega siempre puntual', false]]);
    expect((await given.service.request('GET', `/api/patients/${id}`, { token: therapist.token })).json.pinnedNotes).toEqual([expect.objectContaining({ content: 'Prefiere la tarde' })]);

    const events = await given.service.services.store.readStream(`patient-${id}`);
    expect(JSON.stringify(events.map((e) => e.data))).not.toMatch(/mañana|obra social|puntual|tarde/);
  });

  it('refuses clinical or empty notes field by field, unknown notes with 404, and another therapist with 404', async () => {
    const { therapist, id } = await aPatient();
    const bad = await given.service.request('POST', `/api/patients/${id}/notes`, { token: therapist.token, body: { type: 'clinical', content: '   ' } });
    expect(bad.status).toBe(422);
    expect((bad.json.errors as { field: string }[]).map((e) => e.field).sort()).toEqual(['content', 'type']);
    expect((await given.service.request('PUT', `/api/patients/${id}/notes/00000000-0000-4000-8000-000000000000`, { token: therapist.token, body: { type: 'general', content: 'x' } })).json).toMatchObject({ code: 'note_not_found' });
    const stranger = await aTherapist(given.service.services);
    expect((await given.service.request('GET', `/api/patients/${id}/notes`, { token: stranger.token })).status).toBe(404);
    expect((await given.service.request('POST', `/api/patients/${id}/notes`, { token: stranger.token, body: { content: 'x' } })).status).toBe(404);
    expect((await given.service.request('PUT', `/api/patients/${id}/preferences`, { token: stranger.token, body: {} })).status).toBe(404);
  });

  it('sets preferences, with a custom price, validated field by field', async () => {
    const { therapist, id } = await aPatient();
    const put = (body: unknown) => given.service.request('PUT', `/api/patients/${id}/preferences`, { token: therapist.token, body });
    const set = await put({ preferredDays: [3, 1, 3], preferredTimeFrom: '09:00', preferredTimeTo: '12:00', preferredSessionMinutes: 50, preferredFrequency: 'weekly', specialAccommodations: 'Acceso sin escaleras', customPrice: 12000 });
    expect(set.status).toBe(200);
    expect(set.json).toMatchObject({ preferredDays: [1, 3], preferredTimeFrom: '09:00', preferredFrequency: 'weekly', specialAccommodations: 'Acceso sin escaleras', customPrice: 12000 });
    const bad = await put({ preferredDays: [9], preferredTimeFrom: '12:00', preferredTimeTo: '09:00', customPrice: -1 });
    expect(bad.status).toBe(422);
    expect((bad.json.errors as { field: string }[]).map((e) => e.field).sort()).toEqual(['customPrice', 'preferredDays.0', 'preferredTimeTo']);
    expect((await given.service.request('GET', `/api/patients/${id}`, { token: therapist.token })).json.preferences).toMatchObject({ customPrice: 12000, preferredDays: [1, 3] });
  });

  it('forgets notes and preferences with the patient (the price, no one\'s personal data, stays)', async () => {
    const { therapist, id } = await aPatient();
    await given.service.request('POST', `/api/patients/${id}/notes`, { token: therapist.token, body: { content: 'Nota irrepetible de Nora' } });
    await given.service.request('PUT', `/api/patients/${id}/preferences`, { token: therapist.token, body: { specialAccommodations: 'Acomodación irrepetible', customPrice: 9000 } });
    expect((await given.service.request('POST', `/api/patients/${id}/forget`, { token: therapist.token })).json).toMatchObject({ forgotten: true });
    expect(await plaintextFindings(given.service.services.db, ['Nota irrepetible', 'Acomodación irrepetible'])).toEqual([]);
    expect(await notesOf(therapist.token, id)).toEqual([]);
    expect((await given.service.request('GET', `/api/patients/${id}`, { token: therapist.token })).json.preferences).toMatchObject({ specialAccommodations: null, customPrice: 9000 });
    expect((await given.service.request('POST', `/api/patients/${id}/notes`, { token: therapist.token, body: { content: 'otra' } })).json).toMatchObject({ code: 'patient_forgotten' });
  });
});
