import { nearestAvailableSlots, slotAt } from '../availability/slot-search.js';
import { Conflict } from '../shared/domain-error.js';
import { calendarFactsForPatients } from './calendar-facts.js';
import { requireRegistered } from './registered.js';
import type { TherapistEvent } from './therapist-events.js';
import { findBooking, requireOpen, requirePatientLink, requireSlotStillFree } from './booking-guards.js';
import type { CancelBooking, ConfirmBooking, RequestBooking } from './therapist-commands.js';
import type { TherapistState } from './therapist-state.js';

const MINUTE_MS = 60_000;

/**
 * A booking request takes its slot only if the slot is available at decision time: rules,
 * exceptions, buffers, notice, horizon, sessions and live holds (BR-AV-005, BR-BK-001..003). The
 * command handler appends with the revision this decision read, so two requests cannot both win.
 */
export function decideRequestBooking(command: RequestBooking, state: TherapistState): TherapistEvent[] {
  const therapist = requireRegistered(state);
  if (therapist.bookings[command.bookingId]) return [];
  const base = calendarFactsForPatients(therapist, command.now);
  // Spec 6.4 strategy 4: the therapist's own calendar is busy time too (as it was known when asked).
  const facts = command.calendarBusy.length === 0 ? base : { ...base, busy: [...base.busy, ...command.calendarBusy] };
  const slot = slotAt(facts, command.requestedDate, command.requestedTime, command.now);
  if (slot?.status !== 'available') {
    const alternatives = nearestAvailableSlots(facts, { date: command.requestedDate, time: command.requestedTime }, command.now);
    throw new Conflict('slot_unavailable', slotUnavailableMessage(slot?.status), {
      requestedDate: command.requestedDate,
      requestedTime: command.requestedTime,
      alternatives,
    });
  }
  const now = command.now.getTime();
  return [
    {
      type: 'BookingRequested',
      data: {
        bookingId: command.bookingId,
        contact: command.contact,
        isNewPatient: command.isNewPatient,
        paymentMethod: command.paymentMethod,
        requestedDate: command.requestedDate,
        requestedTime: command.requestedTime,
        startsAt: slot.startsAt,
        endsAt: slot.endsAt,
        durationMinutes: therapist.policies.sessionDurationMinutes,
        priceAtBooking: therapist.sessionPrice,
        currency: 'ARS',
        holdExpiresAt: new Date(now + command.holdMinutes * MINUTE_MS).toISOString(),
        expiresAt: new Date(now + command.expirationMinutes * MINUTE_MS).toISOString(),
        patientTokenHash: command.patientTokenHash,
        requestedAt: command.now.toISOString(),
      },
    },
  ];
}

function slotUnavailableMessage(status: string | undefined): string {
  switch (status) {
    case 'booked':
      return 'This slot is already booked';
    case 'locked':
      return 'Someone else is booking this slot right now';
    case undefined:
      return 'No session can start at this date and time';
    default:
      return 'This slot can no longer be booked';
  }
}

/** The session exists only from here on (BR-BK-007); the slot is re-checked under the same guard. */
export function decideConfirmBooking(command: ConfirmBooking, state: TherapistState): TherapistEvent[] {
  const therapist = requireRegistered(state);
  const booking = findBooking(therapist, command.bookingId);
  if (booking.status === 'confirmed') {
    throw new Conflict('booking_already_confirmed', 'This booking is already confirmed', { bookingId: booking.bookingId, sessionId: booking.sessionId });
  }
  requireOpen(booking, command.now);
  requireSlotStillFree(therapist, booking, command.now);
  const confirmedAt = command.now.toISOString();
  return [
    { type: 'BookingConfirmed', data: { bookingId: booking.bookingId, sessionId: command.sessionId, patientId: command.patientId, confirmedAt } },
    {
      type: 'SessionScheduled',
      data: {
        sessionId: command.sessionId,
        patientId: command.patientId,
        bookingId: booking.bookingId,
        recurrenceId: null,
        startsAt: booking.startsAt,
        endsAt: booking.endsAt,
        durationMinutes: booking.durationMinutes,
        price: booking.priceAtBooking,
        paymentStatus: 'paid',
        source: 'booking',
        occurrenceDate: null,
      },
    },
  ];
}

/** Cancelling a request frees its slot; cancelling a confirmed booking cancels its session too. */
export function decideCancelBooking(command: CancelBooking, state: TherapistState): TherapistEvent[] {
  const therapist = requireRegistered(state);
  const booking = findBooking(therapist, command.bookingId);
  if (command.by === 'patient') requirePatientLink(booking, command.patientTokenHash, command.now, command.patientLinkHours);
  if (booking.status === 'cancelled' || booking.status === 'expired') {
    throw new Conflict(`booking_${booking.status}`, `This booking is already ${booking.status}`, { bookingId: booking.bookingId });
  }
  const session = booking.sessionId ? therapist.sessions[booking.sessionId] : undefined;
  // A session that took place (or was missed) is history: its booking can no longer be cancelled.
  if (session && (session.status === 'completed' || session.status === 'no_show')) {
    throw new Conflict(`session_${session.status}`, `The session of this booking is already ${session.status.replace('_', '-')}`, { sessionId: session.sessionId });
  }
  const cancelledAt = command.now.toISOString();
  const events: TherapistEvent[] = [{ type: 'BookingCancelled', data: { bookingId: booking.bookingId, cancelledBy: command.by, reason: command.reason, cancelledAt } }];
  if (session?.status === 'scheduled') {
    if (Date.parse(session.startsAt) <= command.now.getTime()) {
      throw new Conflict('session_already_started', 'A session that has started cannot be cancelled; record its outcome instead', { sessionId: session.sessionId });
    }
    events.push({ type: 'SessionCancelled', data: { sessionId: session.sessionId, cancelledBy: command.by, reason: command.reason, cancelledAt } });
  }
  return events;
}
