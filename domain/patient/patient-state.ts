import { assertNever } from '../shared/decider.js';
import { Conflict, NotFound } from '../shared/domain-error.js';
import type { PatientEvent } from './patient-events.js';

/** What the invariants need: whose patient it is, which bookings are linked, whether it was forgotten. No personal data. */
export type PatientState = { readonly status: 'unregistered' } | RegisteredPatient;

export interface RegisteredPatient {
  readonly status: 'registered';
  readonly therapistId: string;
  readonly bookingIds: readonly string[];
  readonly forgotten: boolean;
  /** Live notes, by id: only whether each is pinned (their text is sealed in the events). */
  readonly notes: Readonly<Record<string, { readonly pinned: boolean }>>;
  /** The patient's price per session, when the therapist set one (PatientPreferencesSet). */
  readonly customPrice: number | null;
}

/** Another therapist's patient is as unknown as one that does not exist (never a 403 that confirms it). */
export function ownPatient(state: PatientState, command: { patientId: string; therapistId: string }) {
  if (state.status !== 'registered' || state.therapistId !== command.therapistId) throw new NotFound('patient', command.patientId);
  return state;
}

/** A patient whose personal data is gone takes no new personal data. */
export function livePatient(state: PatientState, command: { patientId: string; therapistId: string }): RegisteredPatient {
  const patient = ownPatient(state, command);
  if (patient.forgotten) throw new Conflict('patient_forgotten', 'This patient was forgotten: their record keeps no personal data', { patientId: command.patientId });
  return patient;
}

export function evolvePatient(state: PatientState, event: PatientEvent): PatientState {
  switch (event.type) {
    case 'PatientRegistered':
      return { status: 'registered', therapistId: event.data.therapistId, bookingIds: event.data.bookingId ? [event.data.bookingId] : [], forgotten: false, notes: {}, customPrice: null };
    case 'BookingLinkedToPatient':
      return state.status === 'registered' ? { ...state, bookingIds: [...state.bookingIds, event.data.bookingId] } : state;
    case 'PatientProfileUpdated':
      return state;
    case 'PatientForgotten':
      return state.status === 'registered' ? { ...state, forgotten: true, notes: {} } : state;
    case 'PatientNoteAdded':
      return state.status === 'registered' ? { ...state, notes: { ...state.notes, [event.data.noteId]: { pinned: event.data.pinned } } } : state;
    case 'PatientNoteEdited':
      return state;
    case 'PatientNotePinned':
      return state.status === 'registered' && state.notes[event.data.noteId] ? { ...state, notes: { ...state.notes, [event.data.noteId]: { pinned: event.data.pinned } } } : state;
    case 'PatientNoteDeleted': {
      if (state.status !== 'registered') return state;
      const { [event.data.noteId]: _deleted, ...notes } = state.notes;
      return { ...state, notes };
    }
    case 'PatientPreferencesSet':
      return state.status === 'registered' ? { ...state, customPrice: event.data.customPrice } : state;
    default:
      return assertNever(event);
  }
}

