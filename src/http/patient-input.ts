import { z } from 'zod';
import { parseLocalDate } from '../../domain/availability/time.js';
import { e164Phone, patientEmail } from './booking-input.js';
import { cleanText } from './text.js';

const optionalText = (max: number) => cleanText(max).nullable().default(null);

/**
 * A patient's profile as the therapist sends it (spec 5.2, BR-BK-004): trimmed, HTML stripped,
 * lengths bounded, phones in E.164, field by field. `today` is the therapist's clock, for the date of birth.
 */
export function patientProfileBody(today: string) {
  return z.strictObject({
    name: cleanText(120).pipe(z.string('Must have at least 2 characters').min(2, 'Must have at least 2 characters')),
    email: patientEmail.nullable().default(null),
    phone: e164Phone,
    dateOfBirth: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}$/, 'Must be a date YYYY-MM-DD')
      .refine((v) => parseLocalDate(v) !== null, 'Not a real calendar date')
      .refine((v) => v <= today && v >= '1900-01-01', 'Must be a date in the past')
      .nullable()
      .default(null),
    gender: optionalText(50),
    emergencyContactName: optionalText(120),
    emergencyContactPhone: e164Phone.nullable().default(null),
    preferredContactMethod: z.enum(['whatsapp', 'email', 'phone', 'sms'], 'Must be whatsapp, email, phone or sms').default('whatsapp'),
    preferredLanguage: z.string().regex(/^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})?$/, 'Must be a language tag such as es, en or pt-BR').default('es'),
    occupation: optionalText(200),
    city: optionalText(255),
    referralSource: optionalText(255),
  });
}

export const patientSearchQuery = z.object({
  q: z.string().trim().min(1).max(100).optional(),
  status: z.enum(['active', 'archived', 'all'], 'Must be active, archived or all').default('active'),
  cursor: z.string().min(1).max(500).optional(),
});
