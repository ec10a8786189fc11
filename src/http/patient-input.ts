import { z } from 'zod';
import { parseLocalDate } from '../../domain/availability/time.js';
import { e164Phone, patientEmail } from './booking-input.js';
import { cleanText, uuidParam } from './text.js';

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
  sort: z.enum(['name', 'next_session', 'last_session', 'attendance_rate'], 'Must be name, next_session, last_session or attendance_rate').default('name'),
  cursor: z.string().min(1).max(500).optional(),
});

const noteText = cleanText(5000).pipe(z.string('Must not be empty').min(1, 'Must not be empty'));
const noteKind = z.enum(['general', 'preferences', 'administrative'], 'Must be general, preferences or administrative (clinical notes are out of scope)');

export const noteBody = z.strictObject({ type: noteKind.default('general'), content: noteText, pinned: z.boolean().default(false) });
export const noteEditBody = z.strictObject({ type: noteKind, content: noteText });
export const notesQuery = z.object({ q: z.string().trim().min(1).max(100).optional() });

const timeOfDay = z.string().regex(/^(?:[01]\d|2[0-3]):[0-5]\d$/, 'Must be a time HH:MM');

export const preferencesBody = z
  .strictObject({
    preferredDays: z.array(z.number().int().min(0).max(6), 'Must be days of the week, 0 (Sunday) to 6').max(7).default([]).transform((days) => [...new Set(days)].sort()),
    preferredTimeFrom: timeOfDay.nullable().default(null),
    preferredTimeTo: timeOfDay.nullable().default(null),
    preferredSessionMinutes: z.number().int().min(15).max(240).nullable().default(null),
    preferredFrequency: z.enum(['weekly', 'biweekly', 'monthly'], 'Must be weekly, biweekly or monthly').nullable().default(null),
    contactPreferences: optionalText(500),
    specialAccommodations: optionalText(1000),
    customPrice: z.number().nonnegative('Must not be negative').max(10_000_000).nullable().default(null),
  })
  .refine((p) => p.preferredTimeFrom === null || p.preferredTimeTo === null || p.preferredTimeFrom < p.preferredTimeTo, { path: ['preferredTimeTo'], message: 'Must be after preferredTimeFrom' });

const historyDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'Must be a date YYYY-MM-DD').refine((v) => parseLocalDate(v) !== null, 'Not a real calendar date');

export const historyQuery = z
  .object({
    status: z.enum(['scheduled', 'completed', 'no_show', 'cancelled', 'pending_payment', 'payment_processing', 'confirmed', 'expired'], 'Not a session or booking status').optional(),
    payment: z.enum(['paid', 'pending'], 'Must be paid or pending').optional(),
    from: historyDate.optional(),
    to: historyDate.optional(),
    page: z.coerce.number().int().min(1).max(10_000).default(1),
    format: z.enum(['json', 'csv'], 'Must be json or csv').optional(),
  })
  .refine((q) => !q.from || !q.to || q.from <= q.to, { path: ['to'], message: 'Must not be before from' });

/** `/api/patients/:id…` path parameters. */
export const patientParams = z.object({ id: uuidParam('Must be a patient id (UUID)') });
export const noteParams = patientParams.extend({ noteId: uuidParam('Must be a note id (UUID)') });
