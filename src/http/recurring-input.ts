import { z } from 'zod';
import { parseLocalDate } from '../../domain/availability/time.js';
import type { RecurrenceInput } from '../../commands/recurring.js';
import { localDateParam, uuidParam } from './text.js';

const realDate = localDateParam.refine((v) => parseLocalDate(v) !== null, 'Not a real calendar date');
const timeOfDay = z.string().regex(/^(?:[01]\d|2[0-3]):[0-5]\d$/, 'Must be a time HH:MM');
const price = z.number().nonnegative('Must not be negative').max(10_000_000);

/** The recurrence's settings (spec 4.4): frequency, day, time, length, price, dates, reminders (BR-RS-007). */
const settings = {
  frequency: z.enum(['weekly', 'biweekly', 'monthly', 'custom'], 'Must be weekly, biweekly, monthly or custom'),
  intervalDays: z.number().int('Must be a whole number of days').min(1).max(365).nullable().default(null),
  dayOfWeek: z.number().int().min(0, 'Must be 0 (Sunday) to 6').max(6, 'Must be 0 (Sunday) to 6').nullable().default(null),
  time: timeOfDay,
  durationMinutes: z.number().int().min(15).max(240).default(50),
  // null or absent: the patient's custom price when set, else the therapist's.
  price: price.nullable().default(null),
  startDate: realDate,
  endDate: realDate.nullable().default(null),
  paymentReminders: z.strictObject({ enabled: z.boolean().default(true), daysBefore: z.number().int().min(0).max(30).default(3) }).default({ enabled: true, daysBefore: 3 }),
};

type Settings = z.infer<z.ZodObject<typeof settings>>;

export function recurrenceInput(s: Settings): RecurrenceInput {
  return {
    schedule: { frequency: s.frequency, intervalDays: s.intervalDays, dayOfWeek: s.dayOfWeek, localTime: s.time, durationMinutes: s.durationMinutes, startDate: s.startDate, endDate: s.endDate },
    price: s.price,
    reminders: s.paymentReminders,
  };
}

export const configureBody = z.strictObject({ patientId: uuidParam('Must be a patient id (UUID)'), ...settings });
export const modifyBody = z.strictObject({ ...settings, applyToPending: z.boolean().default(false) });
export const recurrenceParams = z.object({ id: uuidParam('Must be a recurrence id (UUID)') });
export const patientRecurrenceParams = z.object({ patientId: uuidParam('Must be a patient id (UUID)') });
export const occurrencesQuery = z
  .object({ from: realDate, to: realDate })
  .refine((q) => q.to >= q.from, { path: ['to'], message: 'Must not be before from' })
  .refine((q) => (parseLocalDate(q.to) ?? 0) - (parseLocalDate(q.from) ?? 0) <= 400, { path: ['to'], message: 'The range may cover at most 400 days' });

export const manualSessionBody = z.strictObject({
  patientId: uuidParam('Must be a patient id (UUID)'),
  date: realDate,
  time: timeOfDay,
  durationMinutes: z.number().int().min(15).max(240).nullable().default(null),
  price: price.nullable().default(null),
});
export const notificationsQuery = z.object({ unread: z.enum(['true', 'false']).default('false'), limit: z.coerce.number().int().min(1).max(200).default(50) });
// Ids as GET /api/notifications gives them: `kind:uuid[:YYYY-MM-DD]`.
const notificationIdParam = z.string().regex(/^(?:skipped|completed|booking|reminder):[0-9a-fA-F-]{36}(?::\d{4}-\d{2}-\d{2})?$/, 'Not a notification id this API gave out');
export const markReadBody = z.strictObject({ ids: z.array(notificationIdParam).min(1, 'Give at least one notification id').max(500) });
