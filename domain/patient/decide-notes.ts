import { assertNever } from '../shared/decider.js';
import { NotFound } from '../shared/domain-error.js';
import type { NoteCommand } from './patient-commands.js';
import type { PatientEvent } from './patient-events.js';
import { livePatient, type PatientState, type RegisteredPatient } from './patient-state.js';

/** Notes and preferences (BR-PP-001: administrative only): each on a live patient of the therapist's own. */
export function decideNote(command: NoteCommand, state: PatientState): PatientEvent[] {
  const patient = livePatient(state, command);
  const { patientId } = command;
  const at = command.now.toISOString();
  switch (command.type) {
    case 'AddPatientNote':
      // The id is the caller's: the same command decided again (a lost race) adds the note once.
      if (patient.notes[command.noteId]) return [];
      return [{ type: 'PatientNoteAdded', data: { patientId, noteId: command.noteId, noteType: command.noteType, content: command.content, pinned: command.pinned, authorId: command.therapistId, addedAt: at } }];
    case 'EditPatientNote':
      requireNote(patient, command.noteId);
      return [{ type: 'PatientNoteEdited', data: { patientId, noteId: command.noteId, noteType: command.noteType, content: command.content, editorId: command.therapistId, editedAt: at } }];
    case 'PinPatientNote':
      if (requireNote(patient, command.noteId).pinned === command.pinned) return [];
      return [{ type: 'PatientNotePinned', data: { patientId, noteId: command.noteId, pinned: command.pinned, at } }];
    case 'DeletePatientNote':
      requireNote(patient, command.noteId);
      return [{ type: 'PatientNoteDeleted', data: { patientId, noteId: command.noteId, deletedAt: at } }];
    case 'SetPatientPreferences':
      return [{ type: 'PatientPreferencesSet', data: { patientId, therapistId: command.therapistId, preferences: command.preferences, customPrice: command.customPrice, setAt: at } }];
    default:
      return assertNever(command);
  }
}

function requireNote(patient: RegisteredPatient, noteId: string): { pinned: boolean } {
  const note = patient.notes[noteId];
  if (!note) throw new NotFound('note', noteId);
  return note;
}
