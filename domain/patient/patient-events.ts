import { z } from 'zod';
import { EventCodec } from '../shared/event-codec.js';
import { defineEvent } from '../shared/event-codec.js';
import type { EventOf } from '../shared/event-of.js';
import { sealed, sealedContact } from '../shared/personal-data.js';
import { patientNoteAdded, patientNoteDeleted, patientNoteEdited, patientNotePinned, patientPreferencesSet, type NoteEvent } from './note-events.js';

const id = z.string().min(1);
const instant = z.iso.datetime();

/**
 * A patient's administrative record, on `patient-{id}`. Personal data only ever sealed (see
 * personal-data.ts): forgetting the patient destroys the keys, and these events still replay.
 */
export const patientRegistered = defineEvent(
  'PatientRegistered',
  z.object({
    patientId: id,
    /** The therapist who owns this record (BR-PP-004). */
    therapistId: id,
    /** The contact the record starts from: the confirmed booking's own sealed contact. */
    contact: sealedContact,
    /** How the record came to be: the booking that created it, or null when the therapist added it. */
    bookingId: id.nullable(),
    registeredAt: instant,
  }),
  {
    version: 2,
    // v1 carried name, e-mail and phone in plaintext: kept so, marked legacy (see the README).
    upcasters: {
      1: (data) => {
        const { name, email, phone, ...rest } = data as { name: string; email: string; phone: string };
        return { ...rest, contact: { legacy: { name, email, phone, reasonForConsultation: null } } };
      },
    },
  },
);
export type PatientRegistered = EventOf<typeof patientRegistered>;

/**
 * A confirmed booking found to be this patient's (BR-BK-005: by phone first, then e-mail), for an
 * auditor to see why two bookings belong to one patient. Its contact fills in what the record
 * lacks (BR-PP-003).
 */
export const bookingLinkedToPatient = defineEvent(
  'BookingLinkedToPatient',
  z.object({ patientId: id, bookingId: id, matchedBy: z.enum(['phone', 'email']), contact: sealedContact, linkedAt: instant }),
);
export type BookingLinkedToPatient = EventOf<typeof bookingLinkedToPatient>;

/** The therapist set the patient's profile (spec 5.2): the whole profile, sealed under the patient's own key. */
export const patientProfileUpdated = defineEvent('PatientProfileUpdated', z.object({ patientId: id, profile: sealed, updatedAt: instant }));
export type PatientProfileUpdated = EventOf<typeof patientProfileUpdated>;

/** BR-PP-005: the patient's keys were destroyed; counts, dates and amounts stay, the person is gone. */
export const patientForgotten = defineEvent(
  'PatientForgotten',
  z.object({
    patientId: id,
    therapistId: id,
    /** Booking requests whose contact went with the patient's keys: confirmed ones, and unconfirmed ones with the same phone or e-mail. */
    bookingIds: z.array(id),
    forgottenAt: instant,
  }),
);
export type PatientForgotten = EventOf<typeof patientForgotten>;

export type PatientEvent = PatientRegistered | BookingLinkedToPatient | PatientProfileUpdated | PatientForgotten | NoteEvent;

export const patientEventCodec = new EventCodec<PatientEvent>([
  patientRegistered,
  bookingLinkedToPatient,
  patientProfileUpdated,
  patientForgotten,
  patientNoteAdded,
  patientNoteEdited,
  patientNotePinned,
  patientNoteDeleted,
  patientPreferencesSet,
]);

export function patientStream(patientId: string): string {
  return `patient-${patientId}`;
}
