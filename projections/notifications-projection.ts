import { assertNever } from '../domain/shared/decider.js';
import type { TherapistEvent } from '../domain/therapist/therapist-events.js';
import { handledEvents, type Projection } from './projection.js';
import { TableBuffer, TableShapes } from './table-buffer.js';

const HANDLES = ['RecurringSessionSkipped', 'RecurrenceCompleted', 'BookingRequested', 'PaymentReminderDue', 'NotificationsRead'] as const satisfies readonly TherapistEvent['type'][];
type Handled = (typeof HANDLES)[number];

/** A notification's id: its kind and subject, so a replay (or a rebuild) makes the same one. */
export const notificationId = {
  skipped: (recurrenceId: string, date: string) => `skipped:${recurrenceId}:${date}`,
  completed: (recurrenceId: string) => `completed:${recurrenceId}`,
  booking: (bookingId: string) => `booking:${bookingId}`,
  reminder: (sessionId: string) => `reminder:${sessionId}`,
};

/**
 * read.notifications: the therapist's dashboard (BR-RS-002 skipped occurrences with their reasons,
 * BR-RS-006 completed recurrences, new booking requests, payment reminders due), read or not.
 */
export function notificationsProjection(shapes: TableShapes = new TableShapes()): Projection {
  return {
    name: 'notifications',
    handles: HANDLES,
    tables: ['read.notifications'],
    async apply(trx, events) {
      const notifications = new TableBuffer(trx, 'read.notifications', ['id'], shapes);
      for (const { event, streamId } of handledEvents<TherapistEvent, Handled>(events, HANDLES)) {
        const therapistId = streamId.slice('therapist-'.length);
        if (event.type === 'NotificationsRead') {
          // The therapist's own notifications only, as they stand: an id not there (yet) marks nothing.
          await notifications.flush();
          await trx('read.notifications').where({ therapist_id: therapistId }).whereIn('id', event.data.notificationIds).whereNull('read_at').update({ read_at: event.data.readAt });
        } else {
          applyOne(notifications, therapistId, event);
        }
      }
      await notifications.flush();
    },
  };
}

const NONE = { recurrence_id: null, patient_id: null, session_id: null, booking_id: null, occurrence_date: null, starts_at: null, reasons: null, exception_ids: null, read_at: null };

function applyOne(t: TableBuffer, therapistId: string, event: Extract<TherapistEvent, { type: Exclude<Handled, 'NotificationsRead'> }>): void {
  const base = { ...NONE, therapist_id: therapistId };
  switch (event.type) {
    case 'RecurringSessionSkipped': {
      const d = event.data;
      t.insert({ ...base, id: notificationId.skipped(d.recurrenceId, d.occurrenceDate), kind: 'recurring_session_skipped', recurrence_id: d.recurrenceId, patient_id: d.patientId, occurrence_date: d.occurrenceDate, starts_at: d.startsAt, reasons: arrayLiteral(d.reasons), exception_ids: arrayLiteral(d.exceptionIds), created_at: d.skippedAt });
      return;
    }
    case 'RecurrenceCompleted':
      t.insert({ ...base, id: notificationId.completed(event.data.recurrenceId), kind: 'recurrence_completed', recurrence_id: event.data.recurrenceId, occurrence_date: event.data.lastOccurrenceDate, created_at: event.data.completedAt });
      return;
    case 'BookingRequested':
      t.insert({ ...base, id: notificationId.booking(event.data.bookingId), kind: 'booking_requested', booking_id: event.data.bookingId, starts_at: event.data.startsAt, created_at: event.data.requestedAt });
      return;
    case 'PaymentReminderDue':
      t.insert({ ...base, id: notificationId.reminder(event.data.sessionId), kind: 'payment_reminder_due', recurrence_id: event.data.recurrenceId, session_id: event.data.sessionId, created_at: event.data.dueAt });
      return;
    default:
      assertNever(event);
  }
}

/** jsonb_to_recordset reads a text[] column from PostgreSQL's array literal; every element is quoted. */
function arrayLiteral(values: readonly string[]): string {
  return `{${values.map((v) => `"${v.replace(/["\\]/g, '\\$&')}"`).join(',')}}`;
}
