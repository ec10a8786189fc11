import { describe, it } from 'vitest';
import { patientDecider, type PatientCommand } from '../../domain/patient/patient-decider.js';
import { patientEventCodec, type PatientEvent } from '../../domain/patient/patient-events.js';
import { Conflict, NotFound } from '../../domain/shared/domain-error.js';
import { specOf } from '../support/decider-spec.js';

/*
 * The patient's record on `patient-{id}`: registered from a confirmed booking, linked to later
 * bookings that match it (and why), forgotten on request. Personal data only ever sealed.
 */
const spec = specOf(patientDecider, patientEventCodec);
const NOW = new Date('2027-03-01T12:00:00.000Z');
const CONTACT = { keyId: '00000000-0000-4000-8000-00000000c0de', ciphertext: 'c2VhbGVk' } as const;
const OTHER_CONTACT = { keyId: '00000000-0000-4000-8000-00000000beef', ciphertext: 'b3RybyBzZWxsYWRv' } as const;
const at = NOW.toISOString();

const register: PatientCommand = { type: 'RegisterPatient', patientId: 'pa-1', therapistId: 'th-1', contact: CONTACT, bookingId: 'bk-1', profile: null, now: NOW };
const registered: PatientEvent = { type: 'PatientRegistered', data: { patientId: 'pa-1', therapistId: 'th-1', contact: CONTACT, bookingId: 'bk-1', registeredAt: at } };
const link = (bookingId: string, therapistId = 'th-1'): PatientCommand => ({ type: 'LinkBookingToPatient', patientId: 'pa-1', therapistId, bookingId, matchedBy: 'phone', contact: OTHER_CONTACT, now: NOW });
const linked = (bookingId: string): PatientEvent => ({ type: 'BookingLinkedToPatient', data: { patientId: 'pa-1', bookingId, matchedBy: 'phone', contact: OTHER_CONTACT, linkedAt: at } });
const forget = (therapistId = 'th-1'): PatientCommand => ({ type: 'ForgetPatient', patientId: 'pa-1', therapistId, bookingIds: ['bk-1', 'bk-0'], now: NOW });
const forgotten: PatientEvent = { type: 'PatientForgotten', data: { patientId: 'pa-1', therapistId: 'th-1', bookingIds: ['bk-1', 'bk-0'], forgottenAt: at } };

describe('RegisterPatient', () => {
  it('registers a patient from a confirmed booking, with the booking\'s sealed contact', () => {
    spec.given([]).when(register).then([registered]);
  });

  it('records nothing when the patient is registered already (a retried confirmation)', () => {
    spec.given([registered]).when(register).then([]);
  });
});

describe('LinkBookingToPatient', () => {
  it('links a later booking that matched the patient, saying how it matched', () => {
    spec.given([registered]).when(link('bk-2')).then([linked('bk-2')]);
  });

  it('records nothing for a booking linked already, or the one that registered the patient', () => {
    spec.given([registered, linked('bk-2')]).when(link('bk-2')).then([]);
    spec.given([registered]).when(link('bk-1')).then([]);
  });

  it('records nothing for a forgotten patient', () => {
    spec.given([registered, forgotten]).when(link('bk-3')).then([]);
  });

  it('does not find another therapist\'s patient, nor one never registered', () => {
    spec.given([registered]).when(link('bk-2', 'th-2')).thenThrows(NotFound, { code: 'patient_not_found' });
    spec.given([]).when(link('bk-2')).thenThrows(NotFound, { code: 'patient_not_found' });
  });
});

describe('UpdatePatientProfile', () => {
  const update = (therapistId = 'th-1'): PatientCommand => ({ type: 'UpdatePatientProfile', patientId: 'pa-1', therapistId, profile: OTHER_CONTACT, now: NOW });
  it('records the whole profile, sealed', () => {
    spec.given([registered]).when(update()).then([{ type: 'PatientProfileUpdated', data: { patientId: 'pa-1', profile: OTHER_CONTACT, updatedAt: at } }]);
  });

  it('refuses a forgotten patient (Conflict patient_forgotten), and another therapist\'s (NotFound)', () => {
    spec.given([registered, forgotten]).when(update()).thenThrows(Conflict, { code: 'patient_forgotten' });
    spec.given([registered]).when(update('th-2')).thenThrows(NotFound, { code: 'patient_not_found' });
  });

  it('comes with the registration of a patient the therapist adds directly', () => {
    spec.given([]).when({ ...register, bookingId: null, profile: OTHER_CONTACT }).then([
      { type: 'PatientRegistered', data: { patientId: 'pa-1', therapistId: 'th-1', contact: CONTACT, bookingId: null, registeredAt: at } },
      { type: 'PatientProfileUpdated', data: { patientId: 'pa-1', profile: OTHER_CONTACT, updatedAt: at } },
    ]);
  });
});

describe('ForgetPatient (BR-PP-005)', () => {
  it('records that the patient was forgotten, once', () => {
    spec.given([registered, linked('bk-2')]).when(forget()).then([forgotten]);
    spec.given([registered, forgotten]).when(forget()).then([]);
  });

  it('does not find another therapist\'s patient', () => {
    spec.given([registered]).when(forget('th-2')).thenThrows(NotFound, { code: 'patient_not_found' });
  });
});

describe('Patient events written before personal data was sealed (v1)', () => {
  it('are upcast: the plaintext contact is kept, marked legacy', () => {
    const decoded = patientEventCodec.decode({ type: 'PatientRegistered', schemaVersion: 1, data: { patientId: 'pa-1', therapistId: 'th-1', name: 'Ana', email: 'ana@example.com', phone: '+5491100000000', bookingId: null, registeredAt: at } });
    spec.given(decoded ? [decoded] : []).when(register).then([]);
    if (decoded?.type !== 'PatientRegistered') throw new Error('expected a PatientRegistered');
    if (!('legacy' in decoded.data.contact)) throw new Error('expected a legacy contact');
  });
});

describe('Notes and preferences (BR-PP-001: administrative only)', () => {
  const on = { patientId: 'pa-1', therapistId: 'th-1', now: NOW } as const;
  const added: PatientEvent = { type: 'PatientNoteAdded', data: { patientId: 'pa-1', noteId: 'no-1', noteType: 'general', content: CONTACT, pinned: false, authorId: 'th-1', addedAt: at } };

  it('adds a note once (a retried request with the same id adds nothing)', () => {
    spec.given([registered]).when({ ...on, type: 'AddPatientNote', noteId: 'no-1', noteType: 'general', content: CONTACT, pinned: false }).then([added]);
    spec.given([registered, added]).when({ ...on, type: 'AddPatientNote', noteId: 'no-1', noteType: 'general', content: CONTACT, pinned: false }).then([]);
  });

  it('edits, pins (once) and deletes an existing note; an unknown or deleted one is NotFound', () => {
    spec.given([registered, added]).when({ ...on, type: 'EditPatientNote', noteId: 'no-1', noteType: 'administrative', content: OTHER_CONTACT }).then([
      { type: 'PatientNoteEdited', data: { patientId: 'pa-1', noteId: 'no-1', noteType: 'administrative', content: OTHER_CONTACT, editorId: 'th-1', editedAt: at } },
    ]);
    spec.given([registered, added]).when({ ...on, type: 'PinPatientNote', noteId: 'no-1', pinned: true }).then([{ type: 'PatientNotePinned', data: { patientId: 'pa-1', noteId: 'no-1', pinned: true, at } }]);
    spec.given([registered, added]).when({ ...on, type: 'PinPatientNote', noteId: 'no-1', pinned: false }).then([]);
    const deleted: PatientEvent = { type: 'PatientNoteDeleted', data: { patientId: 'pa-1', noteId: 'no-1', deletedAt: at } };
    spec.given([registered, added]).when({ ...on, type: 'DeletePatientNote', noteId: 'no-1' }).then([deleted]);
    spec.given([registered, added, deleted]).when({ ...on, type: 'EditPatientNote', noteId: 'no-1', noteType: 'general', content: CONTACT }).thenThrows(NotFound, { code: 'note_not_found' });
  });

  it('sets preferences with the custom price in the clear (an amount, not personal data)', () => {
    spec.given([registered]).when({ ...on, type: 'SetPatientPreferences', preferences: OTHER_CONTACT, customPrice: 12000 }).then([
      { type: 'PatientPreferencesSet', data: { patientId: 'pa-1', therapistId: 'th-1', preferences: OTHER_CONTACT, customPrice: 12000, setAt: at } },
    ]);
  });

  it('takes nothing new for a forgotten patient, and nothing from another therapist', () => {
    spec.given([registered, forgotten]).when({ ...on, type: 'AddPatientNote', noteId: 'no-2', noteType: 'general', content: CONTACT, pinned: false }).thenThrows(Conflict, { code: 'patient_forgotten' });
    spec.given([registered]).when({ ...on, therapistId: 'th-2', type: 'SetPatientPreferences', preferences: CONTACT, customPrice: null }).thenThrows(NotFound, { code: 'patient_not_found' });
  });
});
