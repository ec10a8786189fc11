import { z } from 'zod';
import type { EventOf } from '../../shared/event-of.js';
import { defineEvent } from '../../shared/event-codec.js';
import { id, instant, localDate, localTime, minutes, money } from './event-fields.js';

/** A recurrence's schedule as the events keep it, with its RFC 5545 rule for auditors and analysts. */
export const recurrenceScheduleFields = z.object({
  frequency: z.enum(['weekly', 'biweekly', 'monthly', 'custom']),
  intervalDays: z.number().int().positive().nullable(),
  dayOfWeek: z.number().int().min(0).max(6).nullable(),
  localTime,
  durationMinutes: minutes,
  startDate: localDate,
  endDate: localDate.nullable(),
  timezone: z.string().min(1),
});

const reminders = z.object({ enabled: z.boolean(), daysBefore: z.number().int().min(0).max(30) });

const configured = recurrenceScheduleFields.extend({ recurrenceId: id, patientId: id, price: money, reminders, rule: z.string().min(1) });

/** The therapist set up sessions that repeat for a patient (spec 4.4). */
export const recurrenceConfigured = defineEvent('RecurrenceConfigured', configured.extend({ configuredAt: instant }));
export type RecurrenceConfigured = EventOf<typeof recurrenceConfigured>;

/**
 * A new schedule, price or reminders for occurrences not generated yet (BR-RS-005); `effectiveFrom`
 * is the first local date it applies to (nothing generated before it changes by this event).
 */
export const recurrenceModified = defineEvent('RecurrenceModified', configured.omit({ patientId: true }).extend({ effectiveFrom: localDate, modifiedAt: instant }));
export type RecurrenceModified = EventOf<typeof recurrenceModified>;

export const recurrencePaused = defineEvent('RecurrencePaused', z.object({ recurrenceId: id, pausedAt: instant }));
export type RecurrencePaused = EventOf<typeof recurrencePaused>;

/** BR-RS-004: occurrences resume from `resumeFrom` (the day of resuming); none of the pause is made up. */
export const recurrenceResumed = defineEvent('RecurrenceResumed', z.object({ recurrenceId: id, resumeFrom: localDate, resumedAt: instant }));
export type RecurrenceResumed = EventOf<typeof recurrenceResumed>;

/** Stopped for good; the sessions it generated stay. */
export const recurrenceStopped = defineEvent('RecurrenceStopped', z.object({ recurrenceId: id, stoppedAt: instant }));
export type RecurrenceStopped = EventOf<typeof recurrenceStopped>;

/** BR-RS-006: its end date is behind its last occurrence. */
export const recurrenceCompleted = defineEvent('RecurrenceCompleted', z.object({ recurrenceId: id, lastOccurrenceDate: localDate.nullable(), completedAt: instant }));
export type RecurrenceCompleted = EventOf<typeof recurrenceCompleted>;

export const SKIP_REASONS = ['outside_availability', 'blocked_by_exception', 'overlaps_session', 'overlaps_hold', 'buffer_violation', 'not_generated_in_time'] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

/** BR-RS-002, EC-AV-004: an occurrence not generated, and why; the therapist is told, the patient not. */
export const recurringSessionSkipped = defineEvent(
  'RecurringSessionSkipped',
  z.object({
    recurrenceId: id,
    patientId: id,
    occurrenceDate: localDate,
    startsAt: instant,
    endsAt: instant,
    reasons: z.array(z.enum(SKIP_REASONS)).min(1),
    /** The exceptions that blocked it (their ids: the reason text is the therapist's own). */
    exceptionIds: z.array(z.string()),
    skippedAt: instant,
  }),
);
export type RecurringSessionSkipped = EventOf<typeof recurringSessionSkipped>;

/** BR-RS-005: a generated session not paid yet takes the recurrence's new time, length or price. */
export const sessionRescheduled = defineEvent(
  'SessionRescheduled',
  z.object({ sessionId: id, startsAt: instant, endsAt: instant, durationMinutes: minutes, price: money, rescheduledAt: instant }),
);
export type SessionRescheduled = EventOf<typeof sessionRescheduled>;

/** A pending session paid (a bank transfer the therapist saw arrive). */
export const sessionPaymentReceived = defineEvent(
  'SessionPaymentReceived',
  z.object({ sessionId: id, method: z.enum(['bank_transfer', 'mercadopago']), reference: z.string().nullable(), receivedAt: instant }),
);
export type SessionPaymentReceived = EventOf<typeof sessionPaymentReceived>;

/** BR-RS-007: the payment reminder of an unpaid recurring session is due (delivery: the integrations). */
export const paymentReminderDue = defineEvent('PaymentReminderDue', z.object({ sessionId: id, recurrenceId: id.nullable(), dueAt: instant }));
export type PaymentReminderDue = EventOf<typeof paymentReminderDue>;

/** The therapist read these dashboard notifications. */
export const notificationsRead = defineEvent('NotificationsRead', z.object({ notificationIds: z.array(z.string().min(1)).min(1), readAt: instant }));
export type NotificationsRead = EventOf<typeof notificationsRead>;
