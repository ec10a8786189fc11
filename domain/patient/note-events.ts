import { z } from 'zod';
import { defineEvent } from '../shared/event-codec.js';
import type { EventOf } from '../shared/event-of.js';
import { sealed } from '../shared/personal-data.js';

const id = z.string().min(1);
const instant = z.iso.datetime();

/** Administrative notes only (BR-PP-001: clinical content is out of scope). */
export const noteType = z.enum(['general', 'preferences', 'administrative']);
export type NoteType = z.infer<typeof noteType>;

/** A note's text is personal data: sealed under the patient's key, gone when they are forgotten. */
export const patientNoteAdded = defineEvent(
  'PatientNoteAdded',
  z.object({ patientId: id, noteId: id, noteType, content: sealed, pinned: z.boolean(), authorId: id, addedAt: instant }),
);
export type PatientNoteAdded = EventOf<typeof patientNoteAdded>;

export const patientNoteEdited = defineEvent('PatientNoteEdited', z.object({ patientId: id, noteId: id, noteType, content: sealed, editorId: id, editedAt: instant }));
export type PatientNoteEdited = EventOf<typeof patientNoteEdited>;

export const patientNotePinned = defineEvent('PatientNotePinned', z.object({ patientId: id, noteId: id, pinned: z.boolean(), at: instant }));
export type PatientNotePinned = EventOf<typeof patientNotePinned>;

export const patientNoteDeleted = defineEvent('PatientNoteDeleted', z.object({ patientId: id, noteId: id, deletedAt: instant }));
export type PatientNoteDeleted = EventOf<typeof patientNoteDeleted>;

/**
 * The patient's preferences: days, times, session length and frequency, contact preferences and
 * special accommodations, sealed; the custom price per session is an amount, not personal data, and
 * stays readable to the commands that price later sessions (recurrences).
 */
export const patientPreferencesSet = defineEvent(
  'PatientPreferencesSet',
  z.object({ patientId: id, therapistId: id, preferences: sealed, customPrice: z.number().nonnegative().nullable(), setAt: instant }),
);
export type PatientPreferencesSet = EventOf<typeof patientPreferencesSet>;

export type NoteEvent = PatientNoteAdded | PatientNoteEdited | PatientNotePinned | PatientNoteDeleted | PatientPreferencesSet;
