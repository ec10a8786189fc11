import { assertNever, type Decider } from '../shared/decider.js';
import { Conflict, NotFound } from '../shared/domain-error.js';
import type { Sealed, SealedContact } from '../shared/personal-data.js';
import type { PatientEvent } from './patient-events.js';

export type PatientCommand = RegisterPatient | LinkBookingToPatient | UpdatePatientProfile | ForgetPatient;

export interface RegisterPatient {
  readonly type: 'RegisterPatient';
  readonly patientId: string;
  readonly therapistId: string;
  readonly contact: SealedContact;
  readonly bookingId: string | null;
  /** A therapist registering a patient directly gives their whole profile too. */
  readonly profile: Sealed | null;
  readonly now: Date;
}

/** PUT semantics: the whole profile, replaced. */
export interface UpdatePatientProfile {
  readonly type: 'UpdatePatientProfile';
  readonly patientId: string;
  readonly therapistId: string;
  readonly profile: Sealed;
  readonly now: Date;
}

export interface LinkBookingToPatient {
  readonly type: 'LinkBookingToPatient';
  readonly patientId: string;
  readonly therapistId: string;
  readonly bookingId: string;
  readonly matchedBy: 'phone' | 'email';
  readonly contact: SealedContact;
  readonly now: Date;
}

/** The therapist asks (BR-PP-005); only the patient's own therapist may. */
export interface ForgetPatient {
  readonly type: 'ForgetPatient';
  readonly patientId: string;
  readonly therapistId: string;
  /** The requests whose contact was destroyed with the patient's keys (their read rows are cleared too). */
  readonly bookingIds: readonly string[];
  readonly now: Date;
}

/** What the invariants need: whose patient it is, which bookings are linked, whether it was forgotten. No personal data. */
export type PatientState =
  | { readonly status: 'unregistered' }
  | { readonly status: 'registered'; readonly therapistId: string; readonly bookingIds: readonly string[]; readonly forgotten: boolean };

function decide(command: PatientCommand, state: PatientState): PatientEvent[] {
  switch (command.type) {
    case 'RegisterPatient': {
      // Registering twice is a no-op: a retried confirmation must not fail.
      if (state.status === 'registered') return [];
      const { patientId, therapistId, contact, bookingId, profile, now } = command;
      const registered: PatientEvent = { type: 'PatientRegistered', data: { patientId, therapistId, contact, bookingId, registeredAt: now.toISOString() } };
      return profile ? [registered, { type: 'PatientProfileUpdated', data: { patientId, profile, updatedAt: now.toISOString() } }] : [registered];
    }
    case 'UpdatePatientProfile': {
      const patient = ownPatient(state, command);
      if (patient.forgotten) throw new Conflict('patient_forgotten', 'This patient was forgotten: their record keeps no personal data', { patientId: command.patientId });
      return [{ type: 'PatientProfileUpdated', data: { patientId: command.patientId, profile: command.profile, updatedAt: command.now.toISOString() } }];
    }
    case 'LinkBookingToPatient': {
      const patient = ownPatient(state, command);
      if (patient.bookingIds.includes(command.bookingId) || patient.forgotten) return [];
      const { patientId, bookingId, matchedBy, contact, now } = command;
      return [{ type: 'BookingLinkedToPatient', data: { patientId, bookingId, matchedBy, contact, linkedAt: now.toISOString() } }];
    }
    case 'ForgetPatient': {
      const patient = ownPatient(state, command);
      if (patient.forgotten) return [];
      return [{ type: 'PatientForgotten', data: { patientId: command.patientId, therapistId: patient.therapistId, bookingIds: [...command.bookingIds], forgottenAt: command.now.toISOString() } }];
    }
    default:
      return assertNever(command);
  }
}

/** Another therapist's patient is as unknown as one that does not exist (never a 403 that confirms it). */
function ownPatient(state: PatientState, command: { patientId: string; therapistId: string }) {
  if (state.status !== 'registered' || state.therapistId !== command.therapistId) throw new NotFound('patient', command.patientId);
  return state;
}

function evolve(state: PatientState, event: PatientEvent): PatientState {
  switch (event.type) {
    case 'PatientRegistered':
      return { status: 'registered', therapistId: event.data.therapistId, bookingIds: event.data.bookingId ? [event.data.bookingId] : [], forgotten: false };
    case 'BookingLinkedToPatient':
      return state.status === 'registered' ? { ...state, bookingIds: [...state.bookingIds, event.data.bookingId] } : state;
    case 'PatientProfileUpdated':
      return state;
    case 'PatientForgotten':
      return state.status === 'registered' ? { ...state, forgotten: true } : state;
    default:
      return assertNever(event);
  }
}

/** The patient's administrative record: one stream per patient. */
export const patientDecider: Decider<PatientCommand, PatientState, PatientEvent> = {
  initialState: () => ({ status: 'unregistered' }),
  evolve,
  decide,
};
