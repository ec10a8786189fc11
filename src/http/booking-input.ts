import { z } from 'zod';
import { parseLocalDate } from '../../domain/availability/time.js';
import { cleanText, localDateParam, uuidParam } from './text.js';

/**
 * A phone number as the patient typed it, normalised to E.164 (BR-BK-004): spaces, dashes, dots and
 * parentheses dropped, a leading 00 read as +. Without a country code it is refused, not guessed.
 */
export const e164Phone = z
  .string()
  .transform((value) => value.trim().replace(/[\s\-.()]/g, '').replace(/^00/, '+'))
  .pipe(z.string().regex(/^\+[1-9]\d{7,14}$/, 'Must be a phone number in international format, e.g. +5491112345678'));

export const patientEmail = z
  .string()
  .transform((value) => value.trim().toLowerCase())
  .pipe(z.email('Must be a valid e-mail address').max(254));

export const bookingRequestBody = z.strictObject({
  therapistId: uuidParam('Must be a therapist id (UUID)'),
  patientName: cleanText(120).pipe(z.string('Must have at least 2 characters').min(2, 'Must have at least 2 characters')),
  patientEmail,
  patientPhone: e164Phone,
  requestedDate: localDateParam.refine((value) => parseLocalDate(value) !== null, 'Not a real calendar date'),
  requestedTime: z.string().regex(/^(?:[01]\d|2[0-3]):[0-5]\d$/, 'Must be a time HH:MM'),
  isNewPatient: z.boolean().default(false),
  reasonForConsultation: cleanText(1000).nullable().default(null),
  paymentMethod: z.enum(['mercadopago', 'bank_transfer'], 'Must be mercadopago or bank_transfer'),
});
