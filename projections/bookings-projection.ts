import type { IntegrationEvent } from '../domain/integrations/integration-events.js';
import type { PatientEvent } from '../domain/patient/patient-events.js';
import { assertNever } from '../domain/shared/decider.js';
import { bookingContact, textContent, type BookingContact } from '../domain/shared/personal-data.js';
import type { TherapistEvent } from '../domain/therapist/therapist-events.js';
import type { PersonalDataOpener } from './personal-data-opener.js';
import { handledEvents, LIVE_TABLES, type Projection } from './projection.js';
import { TableBuffer, TableShapes } from './table-buffer.js';

const HANDLES = [
  'BookingRequested',
  'BookingHoldExpired',
  'PaymentStarted',
  'BookingConfirmed',
  'BookingCancelled',
  'BookingExpired',
  'LatePaymentReceived',
  'BookingRequestArchived',
  'SessionScheduled',
  'SessionCompleted',
  'SessionMarkedNoShow',
  'SessionCancelled',
  'SessionRescheduled',
  'SessionPaymentReceived',
  'PaymentReminderDue',
  'PatientForgotten',
  'PaymentLinkCreated',
  'CalendarEventCreated',
  'CalendarEventDeleted',
] as const satisfies readonly (TherapistEvent | PatientEvent | IntegrationEvent)['type'][];
type Handled = Exclude<(typeof HANDLES)[number], 'PatientForgotten' | IntegrationOutcome>;
type IntegrationOutcome = 'PaymentLinkCreated' | 'CalendarEventCreated' | 'CalendarEventDeleted';

/** What a forgotten person's booking rows keep of them: nothing but the flag. */
const FORGOTTEN = { patient_name: null, patient_email: null, patient_phone: null, reason_for_consultation: null, cancellation_reason: null, patient_forgotten: true } as const;

/**
 * read.booking_requests and read.sessions: the therapist's pipeline and agenda. Writes are keyed by
 * id (see TableBuffer): inserts ignore a row already there and updates set absolute values, so
 * redelivery changes nothing.
 */
export function bookingsProjection(open: PersonalDataOpener, shapes: TableShapes = new TableShapes()): Projection {
  return {
    name: 'bookings',
    handles: HANDLES,
    tables: ['read.booking_requests', 'read.sessions'],
    async apply(trx, events, target = LIVE_TABLES) {
      const requests = new TableBuffer(trx, target, 'read.booking_requests', ['id'], shapes);
      const sessions = new TableBuffer(trx, target, 'read.sessions', ['id'], shapes);
      const handled = handledEvents<TherapistEvent | PatientEvent | IntegrationEvent, (typeof HANDLES)[number]>(events, HANDLES);
      const forgotten: { patientId: string; bookingIds: readonly string[] }[] = [];
      const bookingEvents: { therapistId: string; event: Extract<TherapistEvent, { type: Handled }> | Extract<IntegrationEvent, { type: IntegrationOutcome }> }[] = [];
      for (const { event, streamId } of handled) {
        if (event.type === 'PatientForgotten') forgotten.push(event.data);
        else bookingEvents.push({ therapistId: streamId.slice(streamId.indexOf('-') + 1), event });
      }
      const requested = bookingEvents.flatMap(({ event }) => (event.type === 'BookingRequested' ? [event.data.contact] : []));
      const reasons = bookingEvents.flatMap(({ event }) => (event.type === 'BookingCancelled' && event.data.reason ? [event.data.reason] : []));
      const contacts = requested.length === 0 ? [] : await open.open(trx, requested, bookingContact);
      const texts = reasons.length === 0 ? [] : await open.open(trx, reasons, textContent);
      let [nextContact, nextReason] = [0, 0];
      for (const { therapistId, event } of bookingEvents) {
        const opened = {
          contact: event.type === 'BookingRequested' ? (contacts[nextContact++] ?? null) : null,
          reason: event.type === 'BookingCancelled' && event.data.reason ? (texts[nextReason++]?.text ?? null) : null,
        };
        applyOne(requests, sessions, therapistId, event, opened);
      }
      await requests.flush();
      await sessions.flush();
      // After the flush: the rows of this very batch are scrubbed too.
      if (forgotten.length > 0) {
        await trx(target('read.booking_requests'))
          .whereIn('patient_id', forgotten.map((f) => f.patientId))
          .orWhereIn('id', forgotten.flatMap((f) => f.bookingIds))
          .update(FORGOTTEN);
      }
    },
  };
}

function applyOne(requests: TableBuffer, sessions: TableBuffer, therapistId: string, event: Extract<TherapistEvent, { type: Handled }> | Extract<IntegrationEvent, { type: IntegrationOutcome }>, opened: { contact: BookingContact | null; reason: string | null }): void {
  const { contact } = opened;
  switch (event.type) {
    case 'BookingRequested': {
      const d = event.data;
      requests.insert({
        id: d.bookingId,
        therapist_id: therapistId,
        status: 'pending_payment',
        // A contact that no longer opens belongs to someone forgotten (a rebuild after the forgetting).
        // Spelled out rather than spread: a spread then more properties costs V8 microseconds a row.
        patient_name: contact ? contact.name : null,
        patient_email: contact ? contact.email : null,
        patient_phone: contact ? contact.phone : null,
        reason_for_consultation: contact ? contact.reasonForConsultation : null,
        patient_forgotten: contact === null,
        is_new_patient: d.isNewPatient,
        payment_method: d.paymentMethod,
        requested_date: d.requestedDate,
        requested_time: d.requestedTime,
        starts_at: d.startsAt,
        ends_at: d.endsAt,
        duration_minutes: d.durationMinutes,
        price_at_booking: d.priceAtBooking,
        currency: d.currency,
        hold_expires_at: d.holdExpiresAt,
        hold_released: false,
        expires_at: d.expiresAt,
        payment_reference: null,
        payment_expires_at: null,
        expiry_reason: null,
        late_payment_received_at: null,
        late_payment_reference: null,
        payment_link: null,
        patient_id: null,
        session_id: null,
        cancelled_by: null,
        cancellation_reason: null,
        requested_at: d.requestedAt,
        closed_at: null,
      });
      return;
    }
    case 'BookingHoldExpired':
      requests.update({ id: event.data.bookingId }, { hold_released: true });
      return;
    case 'PaymentStarted':
      requests.update({ id: event.data.bookingId }, { status: 'payment_processing', payment_reference: event.data.reference, payment_expires_at: event.data.paymentExpiresAt });
      return;
    case 'BookingConfirmed':
      requests.update({ id: event.data.bookingId }, { status: 'confirmed', patient_id: event.data.patientId, session_id: event.data.sessionId, closed_at: event.data.confirmedAt });
      return;
    case 'BookingCancelled':
      requests.update({ id: event.data.bookingId }, { status: 'cancelled', cancelled_by: event.data.cancelledBy, cancellation_reason: opened.reason, closed_at: event.data.cancelledAt });
      return;
    case 'BookingExpired':
      requests.update({ id: event.data.bookingId }, { status: 'expired', expiry_reason: event.data.reason, closed_at: event.data.expiredAt });
      return;
    case 'LatePaymentReceived':
      requests.update({ id: event.data.bookingId }, { late_payment_received_at: event.data.receivedAt, late_payment_reference: event.data.reference });
      return;
    case 'BookingRequestArchived':
      // Spec 6.2: a closed request leaves the working model 24 h on; on the event, so a rebuild drops the same rows.
      requests.delete({ id: event.data.bookingId });
      return;
    case 'SessionScheduled': {
      const d = event.data;
      sessions.insert({
        id: d.sessionId,
        therapist_id: therapistId,
        patient_id: d.patientId,
        booking_id: d.bookingId,
        recurrence_id: d.recurrenceId,
        starts_at: d.startsAt,
        ends_at: d.endsAt,
        duration_minutes: d.durationMinutes,
        price: d.price,
        payment_status: d.paymentStatus,
        status: 'scheduled',
        source: d.source,
        cancelled_by: null,
        status_changed_at: null,
        occurrence_date: d.occurrenceDate,
        paid_at: null,
        payment_reference: null,
        payment_reminder_due_at: null,
        payment_link: null,
        meet_link: null,
        calendar_event_id: null,
      });
      return;
    }
    case 'SessionCompleted':
      sessions.update({ id: event.data.sessionId }, { status: 'completed', status_changed_at: event.data.at });
      return;
    case 'SessionMarkedNoShow':
      sessions.update({ id: event.data.sessionId }, { status: 'no_show', status_changed_at: event.data.at });
      return;
    case 'SessionCancelled':
      sessions.update({ id: event.data.sessionId }, { status: 'cancelled', cancelled_by: event.data.cancelledBy, status_changed_at: event.data.cancelledAt });
      return;
    case 'SessionRescheduled': {
      const d = event.data;
      sessions.update({ id: d.sessionId }, { starts_at: d.startsAt, ends_at: d.endsAt, duration_minutes: d.durationMinutes, price: d.price });
      return;
    }
    case 'SessionPaymentReceived':
      sessions.update({ id: event.data.sessionId }, { payment_status: 'paid', paid_at: event.data.receivedAt, payment_reference: event.data.reference });
      return;
    case 'PaymentReminderDue':
      sessions.update({ id: event.data.sessionId }, { payment_reminder_due_at: event.data.dueAt });
      return;
    case 'PaymentLinkCreated':
      if (event.data.reference.kind === 'booking') requests.update({ id: event.data.reference.id }, { payment_link: event.data.checkoutUrl });
      else sessions.update({ id: event.data.reference.id }, { payment_link: event.data.checkoutUrl });
      return;
    case 'CalendarEventCreated':
      sessions.update({ id: event.data.sessionId }, { meet_link: event.data.meetLink, calendar_event_id: event.data.eventId });
      return;
    case 'CalendarEventDeleted':
      sessions.update({ id: event.data.sessionId }, { calendar_event_id: null });
      return;
    default:
      assertNever(event);
  }
}
