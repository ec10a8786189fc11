import type { PatientEvent } from '../domain/patient/patient-events.js';
import { assertNever } from '../domain/shared/decider.js';
import { noteContent, patientPreferences, type Sealed } from '../domain/shared/personal-data.js';
import type { PersonalDataOpener } from './personal-data-opener.js';
import { handledEvents, LIVE_TABLES, type Projection } from './projection.js';
import { TableBuffer, TableShapes } from './table-buffer.js';

const HANDLES = ['PatientNoteAdded', 'PatientNoteEdited', 'PatientNotePinned', 'PatientNoteDeleted', 'PatientPreferencesSet', 'PatientForgotten'] as const satisfies readonly PatientEvent['type'][];
type Handled = (typeof HANDLES)[number];

/** What forgetting leaves of a patient's preferences: the price, which is no one's personal data. */
const FORGOTTEN_PREFERENCES = { preferred_days: null, preferred_time_from: null, preferred_time_to: null, preferred_session_minutes: null, preferred_frequency: null, contact_preferences: null, special_accommodations: null };

/**
 * read.patient_notes and read.patient_preferences: a patient's administrative notes (pinned first
 * when read) and preferences, their text opened from the sealed events. Forgetting removes the notes
 * and every preference but the price.
 */
export function patientNotesProjection(open: PersonalDataOpener, shapes: TableShapes = new TableShapes()): Projection {
  return {
    name: 'patient-notes',
    handles: HANDLES,
    tables: ['read.patient_notes', 'read.patient_preferences'],
    async apply(trx, events, target = LIVE_TABLES) {
      const notes = new TableBuffer(trx, target, 'read.patient_notes', ['id'], shapes);
      const preferences = new TableBuffer(trx, target, 'read.patient_preferences', ['patient_id'], shapes);
      const handled = handledEvents<PatientEvent, Handled>(events, HANDLES).map((e) => e.event);
      const sealedNotes: Sealed[] = handled.flatMap((e) => (e.type === 'PatientNoteAdded' || e.type === 'PatientNoteEdited' ? [e.data.content] : []));
      const sealedPreferences: Sealed[] = handled.flatMap((e) => (e.type === 'PatientPreferencesSet' ? [e.data.preferences] : []));
      const texts = sealedNotes.length === 0 ? [] : await open.open(trx, sealedNotes, noteContent);
      const prefs = sealedPreferences.length === 0 ? [] : await open.open(trx, sealedPreferences, patientPreferences);
      let nextText = 0;
      let nextPrefs = 0;
      const forgotten: string[] = [];
      for (const event of handled) {
        switch (event.type) {
          case 'PatientNoteAdded': {
            const text = texts[nextText++]?.text ?? null;
            const added = event.data;
            notes.insert({ id: added.noteId, patient_id: added.patientId, therapist_id: added.authorId, note_type: added.noteType, content: text, pinned: added.pinned, author_id: added.authorId, editor_id: null, created_at: added.addedAt, updated_at: added.addedAt });
            break;
          }
          case 'PatientNoteEdited': {
            const text = texts[nextText++]?.text ?? null;
            notes.update({ id: event.data.noteId }, { note_type: event.data.noteType, content: text, editor_id: event.data.editorId, updated_at: event.data.editedAt });
            break;
          }
          case 'PatientNotePinned':
            notes.update({ id: event.data.noteId }, { pinned: event.data.pinned, updated_at: event.data.at });
            break;
          case 'PatientNoteDeleted':
            notes.delete({ id: event.data.noteId });
            break;
          case 'PatientPreferencesSet': {
            const p = prefs[nextPrefs++] ?? null;
            const set = event.data;
            // The whole preferences, replaced: delete then insert is a replace in the buffer.
            preferences.delete({ patient_id: set.patientId });
            preferences.insert({
              patient_id: set.patientId,
              therapist_id: set.therapistId,
              ...(p
                ? {
                    preferred_days: `{${p.preferredDays.join(',')}}`,
                    preferred_time_from: p.preferredTimeFrom,
                    preferred_time_to: p.preferredTimeTo,
                    preferred_session_minutes: p.preferredSessionMinutes,
                    preferred_frequency: p.preferredFrequency,
                    contact_preferences: p.contactPreferences,
                    special_accommodations: p.specialAccommodations,
                  }
                : FORGOTTEN_PREFERENCES),
              custom_price: set.customPrice,
              set_at: set.setAt,
            });
            break;
          }
          case 'PatientForgotten':
            forgotten.push(event.data.patientId);
            break;
          default:
            assertNever(event);
        }
      }
      await notes.flush();
      await preferences.flush();
      if (forgotten.length > 0) {
        await trx(target('read.patient_notes')).whereIn('patient_id', forgotten).delete();
        await trx(target('read.patient_preferences')).whereIn('patient_id', forgotten).update(FORGOTTEN_PREFERENCES);
      }
    },
  };
}
