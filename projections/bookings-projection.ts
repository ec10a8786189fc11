import type { Knex } from 'knex';
import { assertNever } from '../domain/shared/decider.js';
import type { TherapistEvent } from '../domain/therapist/therapist-events.js';
import { handledEvents, type Projection } from './projection.js';

const HANDLES = [
  'BookingRequested',
  'BookingHoldExpired',
  'PaymentStarted',
  'BookingConfirmed',
  'BookingCancelled',
  'BookingExpired',
  'SessionScheduled',
  'SessionCompleted',
  'SessionMarkedNoShow',
  'SessionCancelled',
] as const satisfies readonly TherapistEvent['type'][];
type Handled = (typeof HANDLES)[number];

/**
 * read.booking_requests and read.sessions: the therapist's pipeline and agenda. Inserts ignore a
 * row already there and updates set absolute values, so redelivery changes nothing.
 */
export const bookingsProjection: Projection = {
  name: 'bookings',
  handles: HANDLES,
  tables: ['read.booking_requests', 'read.sessions'],
  async apply(trx, events) {
    for (const { event, streamId } of handledEvents<TherapistEvent, Handled>(events, HANDLES)) {
      await applyOne(trx, streamId.slice('therapist-'.length), event);
    }
  },
};

async function applyOne(trx: Knex.Transaction, therapistId: string, event: Extract<TherapistEvent, { type: Handled }>): Promise<void> {
  const requests = () => trx('read.booking_requests');
  const sessions = () => trx('read.sessions');
  switch (event.type) {
    case 'BookingRequested': {
      const d = event.data;
      await requests()
        .insert({
          id: d.bookingId,
          therapist_id: therapistId,
          status: 'pending_payment',
          patient_name: d.patient.name,
          patient_email: d.patient.email,
          patient_phone: d.patient.phone,
          is_new_patient: d.isNewPatient,
          reason_for_consultation: d.reasonForConsultation,
          payment_method: d.paymentMethod,
          requested_date: d.requestedDate,
          requested_time: d.requestedTime,
          starts_at: d.startsAt,
          ends_at: d.endsAt,
          duration_minutes: d.durationMinutes,
          price_at_booking: d.priceAtBooking,
          currency: d.currency,
          hold_expires_at: d.holdExpiresAt,
          expires_at: d.expiresAt,
          requested_at: d.requestedAt,
        })
        .onConflict('id')
        .ignore();
      return;
    }
    case 'BookingHoldExpired':
      await requests().where({ id: event.data.bookingId }).update({ hold_released: true });
      return;
    case 'PaymentStarted':
      await requests().where({ id: event.data.bookingId }).update({ status: 'payment_processing', payment_reference: event.data.reference });
      return;
    case 'BookingConfirmed':
      await requests().where({ id: event.data.bookingId }).update({ status: 'confirmed', patient_id: event.data.patientId, session_id: event.data.sessionId, closed_at: event.data.confirmedAt });
      return;
    case 'BookingCancelled':
      await requests()
        .where({ id: event.data.bookingId })
        .update({ status: 'cancelled', cancelled_by: event.data.cancelledBy, cancellation_reason: event.data.reason, closed_at: event.data.cancelledAt });
      return;
    case 'BookingExpired':
      await requests().where({ id: event.data.bookingId }).update({ status: 'expired', closed_at: event.data.expiredAt });
      return;
    case 'SessionScheduled': {
      const d = event.data;
      await sessions()
        .insert({
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
        })
        .onConflict('id')
        .ignore();
      return;
    }
    case 'SessionCompleted':
      await sessions().where({ id: event.data.sessionId }).update({ status: 'completed', status_changed_at: event.data.at });
      return;
    case 'SessionMarkedNoShow':
      await sessions().where({ id: event.data.sessionId }).update({ status: 'no_show', status_changed_at: event.data.at });
      return;
    case 'SessionCancelled':
      await sessions().where({ id: event.data.sessionId }).update({ status: 'cancelled', status_changed_at: event.data.cancelledAt });
      return;
    default:
      assertNever(event);
  }
}
