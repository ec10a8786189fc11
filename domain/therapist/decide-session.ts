import { intervalRelation } from '../availability/slot-search.js';
import { localToInstant, MS_PER_MINUTE, parseLocalDate, parseLocalTime, timeZone } from '../availability/time.js';
import { Conflict, NotFound, ValidationFailed } from '../shared/domain-error.js';
import { calendarFacts } from './calendar-facts.js';
import type { MarkNotificationsRead, RecordSessionPayment, ScheduleSession } from './recurrence-commands.js';
import { requireRegistered } from './registered.js';
import type { TherapistEvent } from './therapist-events.js';
import type { RecordSessionOutcome } from './therapist-commands.js';
import type { TherapistState } from './therapist-state.js';

/**
 * completed / no_show record what happened (so only once the session has started); cancelled frees
 * the time (so only before it starts). Recording the same outcome again is a no-op.
 */
export function decideRecordSessionOutcome(command: RecordSessionOutcome, state: TherapistState): TherapistEvent[] {
  const therapist = requireRegistered(state);
  const session = therapist.sessions[command.sessionId];
  if (!session) throw new NotFound('session', command.sessionId);
  if (session.status === command.outcome) return [];
  if (session.status !== 'scheduled') {
    throw new Conflict(`session_${session.status}`, `This session is already ${session.status.replace('_', '-')}`, { sessionId: session.sessionId, status: session.status });
  }
  const at = command.now.toISOString();
  const started = Date.parse(session.startsAt) <= command.now.getTime();
  switch (command.outcome) {
    case 'completed':
    case 'no_show':
      if (!started) throw new Conflict('session_not_started', 'The outcome of a session can be recorded once it has started', { sessionId: session.sessionId, startsAt: session.startsAt });
      return command.outcome === 'completed'
        ? [{ type: 'SessionCompleted', data: { sessionId: session.sessionId, at } }]
        : [{ type: 'SessionMarkedNoShow', data: { sessionId: session.sessionId, at } }];
    case 'cancelled':
      if (started) throw new Conflict('session_already_started', 'A session that has started cannot be cancelled', { sessionId: session.sessionId });
      return [{ type: 'SessionCancelled', data: { sessionId: session.sessionId, cancelledBy: 'therapist', reason: command.reason, cancelledAt: at } }];
  }
}

/**
 * A one-off session the therapist schedules (source `manual`), under the same guard as a booking: it
 * never overlaps another session or a live hold, and it may take a slot a recurrence holds ahead of
 * generation (BR-RS-002: that occurrence is then skipped when its day comes).
 */
export function decideScheduleSession(command: ScheduleSession, state: TherapistState): TherapistEvent[] {
  const therapist = requireRegistered(state);
  const existing = Object.hasOwn(therapist.sessions, command.sessionId) ? therapist.sessions[command.sessionId] : undefined;
  if (existing) return [];
  const day = parseLocalDate(command.date);
  const time = parseLocalTime(command.time);
  const start = day === null || time === null ? null : localToInstant(timeZone(therapist.policies.timezone), day, time);
  if (start === null) throw new ValidationFailed([{ field: 'time', message: 'This time does not exist on that day (the clocks skip it)' }]);
  if (start <= command.now.getTime()) throw new ValidationFailed([{ field: 'date', message: 'Must be in the future' }]);
  const interval = { startsAt: new Date(start).toISOString(), endsAt: new Date(start + command.durationMinutes * MS_PER_MINUTE).toISOString() };
  const relation = intervalRelation(calendarFacts(therapist), interval, command.now);
  if (relation === 'booked' || relation === 'locked') {
    throw new Conflict('slot_unavailable', relation === 'booked' ? 'Another session takes this time' : 'A patient is booking this time right now', { ...interval });
  }
  return [
    {
      type: 'SessionScheduled',
      data: { sessionId: command.sessionId, patientId: command.patientId, bookingId: null, recurrenceId: null, ...interval, durationMinutes: command.durationMinutes, price: command.price, paymentStatus: 'pending', source: 'manual', occurrenceDate: null },
    },
  ];
}

/** A pending session paid (a bank transfer the therapist saw arrive); recording it twice changes nothing. */
export function decideRecordSessionPayment(command: RecordSessionPayment, state: TherapistState): TherapistEvent[] {
  const therapist = requireRegistered(state);
  const session = Object.hasOwn(therapist.sessions, command.sessionId) ? therapist.sessions[command.sessionId] : undefined;
  if (!session) throw new NotFound('session', command.sessionId);
  if (session.paymentStatus === 'paid') return [];
  if (session.status === 'cancelled') throw new Conflict('session_cancelled', 'This session is cancelled', { sessionId: session.sessionId });
  return [{ type: 'SessionPaymentReceived', data: { sessionId: session.sessionId, method: command.method, reference: command.reference, receivedAt: command.now.toISOString() } }];
}

export function decideMarkNotificationsRead(command: MarkNotificationsRead, state: TherapistState): TherapistEvent[] {
  requireRegistered(state);
  return command.notificationIds.length === 0 ? [] : [{ type: 'NotificationsRead', data: { notificationIds: [...command.notificationIds], readAt: command.now.toISOString() } }];
}
