import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PatientEvent } from '../../domain/patient/patient-events.js';
import { KeyStore } from '../../infra/crypto/key-store.js';
import { START } from '../../infra/event-store/event-store.js';
import type { ProjectedEvent, Projection } from '../../projections/projection.js';
import { createProjections } from '../../projections/registry.js';
import { useEventStoreDatabase } from '../support/database.js';

const AT = '2027-03-01T12:00:00.000Z';

/**
 * The patient read models on real PostgreSQL: the same events projected once, again (redelivery),
 * or one batch per event, leave the same tables; a forgetting leaves no personal column set.
 */
describe('Patient projections', () => {
  const database = useEventStoreDatabase('patient_projections');
  let pool: pg.Pool;
  let keys: KeyStore;
  let projections: readonly Projection[];
  beforeAll(() => {
    pool = new pg.Pool({ connectionString: database.url, max: 2 });
    keys = new KeyStore(database.db, randomBytes(32), pool);
    projections = createProjections({ open: (trx, values, schema) => keys.open(values, schema, trx) }).filter((p) => p.name === 'patients' || p.name === 'patient-notes');
  });
  afterAll(async () => {
    await pool.end();
  });

  async function aHistory(therapistId: string, patientId: string): Promise<PatientEvent[]> {
    const contact = await keys.sealPatientContact(therapistId, patientId, { name: 'Pía Proyección', email: 'pia@example.com', phone: '+5491190001111', reasonForConsultation: null });
    const profile = await keys.sealPatientProfile(therapistId, patientId, {
      name: 'Pía Proyección', email: 'pia@example.com', phone: '+5491190001111', dateOfBirth: '1990-01-02', gender: null, emergencyContactName: 'Pedro', emergencyContactPhone: null,
      preferredContactMethod: 'whatsapp', preferredLanguage: 'es', occupation: 'Música', city: 'Mendoza', referralSource: null,
    });
    const note = await keys.sealForPatient(therapistId, patientId, { text: 'Una nota' });
    const edited = await keys.sealForPatient(therapistId, patientId, { text: 'La nota, corregida' });
    const preferences = await keys.sealForPatient(therapistId, patientId, { preferredDays: [2, 4], preferredTimeFrom: '18:00', preferredTimeTo: '20:00', preferredSessionMinutes: 50, preferredFrequency: 'weekly', contactPreferences: null, specialAccommodations: 'Ninguna' });
    return [
      { type: 'PatientRegistered', data: { patientId, therapistId, contact, bookingId: null, registeredAt: AT } },
      { type: 'PatientProfileUpdated', data: { patientId, profile, updatedAt: AT } },
      { type: 'PatientNoteAdded', data: { patientId, noteId: randomUUID(), noteType: 'general', content: note, pinned: false, authorId: therapistId, addedAt: AT } },
      { type: 'PatientNoteAdded', data: { patientId, noteId: '00000000-0000-4000-8000-00000000aaaa'.replace('aaaa', patientId.slice(0, 4)), noteType: 'administrative', content: note, pinned: true, authorId: therapistId, addedAt: AT } },
      { type: 'PatientNoteEdited', data: { patientId, noteId: '00000000-0000-4000-8000-00000000aaaa'.replace('aaaa', patientId.slice(0, 4)), noteType: 'administrative', content: edited, editorId: therapistId, editedAt: AT } },
      { type: 'PatientPreferencesSet', data: { patientId, therapistId, preferences, customPrice: 11000, setAt: AT } },
    ];
  }

  const projected = (events: readonly PatientEvent[], patientId: string): ProjectedEvent[] =>
    events.map((event, i) => ({ event, streamId: `patient-${patientId}`, streamRevision: i, position: START, metadata: { correlationId: 'spec', causationId: null, actor: { kind: 'system', job: 'test' } }, recordedAt: new Date(AT) }));
  const apply = (batch: readonly ProjectedEvent[]) => database.db.transaction(async (trx) => {
    for (const projection of projections) await projection.apply(trx, batch.filter((e) => projection.handles.includes(e.event.type)));
  });
  const tables = async (patientId: string) => ({
    patient: await database.db('read.patients').where({ id: patientId }).first<Record<string, unknown>>(),
    notes: await database.db('read.patient_notes').where({ patient_id: patientId }).orderBy('id'),
    preferences: await database.db('read.patient_preferences').where({ patient_id: patientId }),
  });

  it('leave the same tables after one batch, a redelivery, or one batch per event', async () => {
    const therapistId = randomUUID();
    const [once, perEvent] = [randomUUID(), randomUUID()];
    const history = await aHistory(therapistId, once);
    await apply(projected(history, once));
    const first = await tables(once);
    expect(first.patient).toMatchObject({ name: 'Pía Proyección', city: 'Mendoza', occupation: 'Música', date_of_birth: '1990-01-02' });
    expect(first.notes.map((n: { content: string; pinned: boolean }) => [n.content, n.pinned]).sort()).toEqual([['La nota, corregida', true], ['Una nota', false]]);
    await apply(projected(history, once));
    expect(await tables(once)).toEqual(first);

    const other = await aHistory(therapistId, perEvent);
    for (const event of projected(other, perEvent)) await apply([event]);
    const strip = (t: Awaited<ReturnType<typeof tables>>) => JSON.parse(JSON.stringify(t).replaceAll(perEvent, 'P').replaceAll(once, 'P').replace(/"id":"[0-9a-f-]{36}"/g, '"id":"N"')) as unknown;
    expect(strip(await tables(perEvent))).toEqual(strip(first));
  });

  it('clear every personal column of a forgotten patient, in a live run and in a rebuild', async () => {
    const therapistId = randomUUID();
    const patientId = randomUUID();
    const forgotten: PatientEvent = { type: 'PatientForgotten', data: { patientId, therapistId, bookingIds: [], forgottenAt: AT } };
    const history = [...(await aHistory(therapistId, patientId)), forgotten];
    await apply(projected(history, patientId));
    const live = await tables(patientId);
    expect(live.patient).toMatchObject({ name: null, email: null, phone: null, date_of_birth: null, occupation: null, city: null, emergency_contact_name: null, forgotten_at: new Date(AT) });
    expect(live.notes).toEqual([]);
    expect(live.preferences).toEqual([expect.objectContaining({ special_accommodations: null, preferred_days: null, custom_price: '11000.00' })]);
    // The rebuild after the keys were destroyed opens nothing, and ends the same.
    await keys.destroyForPatient(therapistId, patientId);
    await database.db('read.patients').where({ id: patientId }).delete();
    await database.db('read.patient_notes').where({ patient_id: patientId }).delete();
    await database.db('read.patient_preferences').where({ patient_id: patientId }).delete();
    await apply(projected(history, patientId));
    expect(await tables(patientId)).toEqual(live);
  });
});
