import { z } from 'zod';
import { EventCodec } from '../shared/event-codec.js';
import { defineEvent } from '../shared/event-codec.js';
import type { EventOf } from '../shared/event-of.js';

/** A patient's administrative profile, on `patient-{id}`; personal data lives only here and in read models. */
export const patientRegistered = defineEvent(
  'PatientRegistered',
  z.object({
    patientId: z.string().min(1),
    /** The therapist who owns this record (BR-PP-004). */
    therapistId: z.string().min(1),
    name: z.string(),
    email: z.string(),
    phone: z.string(),
    /** How the record came to be: the booking that created it, or null when the therapist added it. */
    bookingId: z.string().nullable(),
    registeredAt: z.iso.datetime(),
  }),
);
export type PatientRegistered = EventOf<typeof patientRegistered>;

export type PatientEvent = PatientRegistered;

export const patientEventCodec = new EventCodec<PatientEvent>([patientRegistered]);

export function patientStream(patientId: string): string {
  return `patient-${patientId}`;
}
