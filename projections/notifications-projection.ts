import { assertNever } from '../domain/shared/decider.js';
import type { CalendarConnectionEvent, IntegrationEvent } from '../domain/integrations/integration-events.js';
import type { TherapistEvent } from '../domain/therapist/therapist-events.js';
import { handledEvents, LIVE_TABLES, type Projection } from './projection.js';
import { TableBuffer, TableShapes } from './table-buffer.js';

const HANDLES = [
  'RecurringSessionSkipped',
  'RecurrenceCompleted',
  'BookingRequested',
  'BookingConfirmed',
  'PaymentReminderDue',
  'NotificationsRead',
  'LatePaymentReceived',
  'IntegrationCallFailed',
  'MessageSent',
  'MessageDeliveryUpdated',
  'CalendarEventCreated',
  'GoogleCalendarDisconnected',
] as const satisfies readonly Shown['type'][];
type Shown = TherapistEvent | IntegrationEvent | CalendarConnectionEvent;
type Handled = (typeof HANDLES)[number];

/** A notification's id: its kind and subject, so a replay (or a rebuild) makes the same one. */
export const notificationId = {
  skipped: (recurrenceId: string, date: string) => `skipped:${recurrenceId}:${date}`,
  completed: (recurrenceId: string) => `completed:${recurrenceId}`,
  booking: (bookingId: string) => `booking:${bookingId}`,
  confirmed: (bookingId: string) => `confirmed:${bookingId}`,
  reminder: (sessionId: string) => `reminder:${sessionId}`,
  latePayment: (bookingId: string, reference: string | null) => `late-payment:${bookingId}:${reference ?? ''}`,
  integration: (key: string) => `integration:${key}`,
  disconnected: (at: string) => `calendar-disconnected:${at}`,
};

/**
 * read.notifications: the therapist's dashboard (BR-RS-002 skipped occurrences with their reasons,
 * BR-RS-006 completed recurrences, new booking requests, payment reminders due), read or not; and
 * what the integrations need the therapist to know: a payment that came too late (refund or
 * re-book), a call that failed for good, a calendar that must be connected again, and, with the
 * local drivers, each message and calendar event they recorded (what would have gone out).
 */
export function notificationsProjection(shapes: TableShapes = new TableShapes()): Projection {
  return {
    name: 'notifications',
    handles: HANDLES,
    tables: ['read.notifications'],
    async apply(trx, events, target = LIVE_TABLES) {
      const notifications = new TableBuffer(trx, target, 'read.notifications', ['id'], shapes);
      for (const { event, streamId } of handledEvents<Shown, Handled>(events, HANDLES)) {
        const therapistId = streamId.slice(streamId.indexOf('-') + 1);
        if (event.type === 'NotificationsRead') {
          // The therapist's own notifications only, as they stand: an id not there (yet) marks nothing.
          await notifications.flush();
          await trx(target('read.notifications')).where({ therapist_id: therapistId }).whereIn('id', event.data.notificationIds).whereNull('read_at').update({ read_at: event.data.readAt });
        } else {
          applyOne(notifications, therapistId, event);
        }
      }
      await notifications.flush();
    },
  };
}

/** What a kind of notification says; the columns it leaves out are null. */
interface Notice {
  readonly id: string;
  readonly kind: string;
  readonly created_at: string;
  readonly recurrence_id?: string | null;
  readonly patient_id?: string | null;
  readonly session_id?: string | null;
  readonly booking_id?: string | null;
  readonly occurrence_date?: string | null;
  readonly starts_at?: string | null;
  readonly reasons?: string;
  readonly exception_ids?: string;
}

/**
 * The whole row, every column named in one literal: all rows alike go to the table in one
 * statement, and a literal is what V8 builds fast (a spread then more properties costs microseconds each).
 */
function row(therapistId: string, n: Notice): Record<string, unknown> {
  return {
    id: n.id,
    therapist_id: therapistId,
    kind: n.kind,
    recurrence_id: n.recurrence_id ?? null,
    patient_id: n.patient_id ?? null,
    session_id: n.session_id ?? null,
    booking_id: n.booking_id ?? null,
    occurrence_date: n.occurrence_date ?? null,
    starts_at: n.starts_at ?? null,
    reasons: n.reasons ?? null,
    exception_ids: n.exception_ids ?? null,
    read_at: null,
    created_at: n.created_at,
  };
}

function applyOne(t: TableBuffer, therapistId: string, event: Extract<Shown, { type: Exclude<Handled, 'NotificationsRead'> }>): void {
  switch (event.type) {
    case 'RecurringSessionSkipped': {
      const d = event.data;
      t.insert(row(therapistId, { id: notificationId.skipped(d.recurrenceId, d.occurrenceDate), kind: 'recurring_session_skipped', recurrence_id: d.recurrenceId, patient_id: d.patientId, occurrence_date: d.occurrenceDate, starts_at: d.startsAt, reasons: arrayLiteral(d.reasons), exception_ids: arrayLiteral(d.exceptionIds), created_at: d.skippedAt }));
      return;
    }
    case 'RecurrenceCompleted':
      t.insert(row(therapistId, { id: notificationId.completed(event.data.recurrenceId), kind: 'recurrence_completed', recurrence_id: event.data.recurrenceId, occurrence_date: event.data.lastOccurrenceDate, created_at: event.data.completedAt }));
      return;
    case 'BookingRequested':
      t.insert(row(therapistId, { id: notificationId.booking(event.data.bookingId), kind: 'booking_requested', booking_id: event.data.bookingId, starts_at: event.data.startsAt, created_at: event.data.requestedAt }));
      return;
    case 'BookingConfirmed':
      t.insert(row(therapistId, { id: notificationId.confirmed(event.data.bookingId), kind: 'booking_confirmed', booking_id: event.data.bookingId, session_id: event.data.sessionId, patient_id: event.data.patientId, created_at: event.data.confirmedAt }));
      return;
    case 'PaymentReminderDue':
      t.insert(row(therapistId, { id: notificationId.reminder(event.data.sessionId), kind: 'payment_reminder_due', recurrence_id: event.data.recurrenceId, session_id: event.data.sessionId, created_at: event.data.dueAt }));
      return;
    case 'LatePaymentReceived':
      t.insert(row(therapistId, { id: notificationId.latePayment(event.data.bookingId, event.data.reference), kind: 'late_payment_received', booking_id: event.data.bookingId, reasons: arrayLiteral([`booking ${event.data.bookingStatus}`, event.data.method, event.data.reference ?? '']), created_at: event.data.receivedAt }));
      return;
    case 'IntegrationCallFailed': {
      const d = event.data;
      t.insert(row(therapistId, { booking_id: d.reference?.kind === 'booking' ? d.reference.id : null, session_id: d.reference?.kind === 'session' ? d.reference.id : null, id: notificationId.integration(d.key), kind: 'integration_failed', reasons: arrayLiteral([d.integration, d.kind, d.reason]), created_at: d.at }));
      return;
    }
    case 'MessageSent':
      if (event.data.driver !== 'local') return;
      t.insert(row(therapistId, { id: notificationId.integration(event.data.key), kind: 'local_message_recorded', session_id: event.data.sessionId, booking_id: event.data.bookingId, reasons: arrayLiteral([event.data.channel, event.data.purpose, event.data.providerId]), created_at: event.data.at }));
      return;
    case 'MessageDeliveryUpdated':
      // Twilio could not deliver it (a number without WhatsApp, a blocked sender): the therapist should know.
      if (event.data.status !== 'failed' && event.data.status !== 'undelivered') return;
      t.insert(row(therapistId, { id: notificationId.integration(`${event.data.key}:undelivered`), kind: 'message_undelivered', reasons: arrayLiteral([event.data.status, event.data.errorCode ?? '', event.data.key]), created_at: event.data.at }));
      return;
    case 'CalendarEventCreated':
      if (event.data.driver !== 'local') return;
      t.insert(row(therapistId, { id: notificationId.integration(event.data.key), kind: 'local_calendar_event_recorded', session_id: event.data.sessionId, reasons: arrayLiteral([event.data.eventId, event.data.meetLink ?? '']), created_at: event.data.at }));
      return;
    case 'GoogleCalendarDisconnected':
      if (event.data.reason !== 'grant_revoked') return;
      t.insert(row(therapistId, { id: notificationId.disconnected(event.data.disconnectedAt), kind: 'calendar_disconnected', reasons: arrayLiteral(['grant_revoked']), created_at: event.data.disconnectedAt }));
      return;
    default:
      assertNever(event);
  }
}

/** jsonb_to_recordset reads a text[] column from PostgreSQL's array literal; every element is quoted. */
function arrayLiteral(values: readonly string[]): string {
  return `{${values.map((v) => `"${v.replace(/["\\]/g, '\\$&')}"`).join(',')}}`;
}
