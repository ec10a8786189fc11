import type { Sealed, SealedContact } from '../shared/personal-data.js';
import type { NoteType } from './note-events.js';

export type PatientCommand = RegisterPatient | LinkBookingToPatient | UpdatePatientProfile | ForgetPatient | NoteCommand;

export type NoteCommand = AddPatientNote | EditPatientNote | PinPatientNote | DeletePatientNote | SetPatientPreferences;

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

interface OnPatient {
  readonly patientId: string;
  readonly therapistId: string;
  readonly now: Date;
}

export interface AddPatientNote extends OnPatient {
  readonly type: 'AddPatientNote';
  readonly noteId: string;
  readonly noteType: NoteType;
  readonly content: Sealed;
  readonly pinned: boolean;
}

export interface EditPatientNote extends OnPatient {
  readonly type: 'EditPatientNote';
  readonly noteId: string;
  readonly noteType: NoteType;
  readonly content: Sealed;
}

export interface PinPatientNote extends OnPatient {
  readonly type: 'PinPatientNote';
  readonly noteId: string;
  readonly pinned: boolean;
}

export interface DeletePatientNote extends OnPatient {
  readonly type: 'DeletePatientNote';
  readonly noteId: string;
}

export interface SetPatientPreferences extends OnPatient {
  readonly type: 'SetPatientPreferences';
  readonly preferences: Sealed;
  readonly customPrice: number | null;
}
