import { z } from 'zod';
import type { EventOf } from '../../shared/event-of.js';
import { defineEvent } from '../../shared/event-codec.js';
import { id, instant } from './event-fields.js';

/** The therapist voided the patient's link to a booking: no token of it works any more. */
export const patientTokenRevoked = defineEvent('PatientTokenRevoked', z.object({ bookingId: id, revokedAt: instant }));
export type PatientTokenRevoked = EventOf<typeof patientTokenRevoked>;

/** A new link for the patient (one lost, or sent to the wrong person): only this token works from now on. */
export const patientTokenReissued = defineEvent('PatientTokenReissued', z.object({ bookingId: id, patientTokenHash: z.string().min(1), reissuedAt: instant }));
export type PatientTokenReissued = EventOf<typeof patientTokenReissued>;
