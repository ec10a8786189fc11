import { formatLocalDate, parseLocalDate } from '../availability/time.js';
import { canonicalSchedule } from '../recurrence/recurrence-schedule.js';
import { laterDate } from '../recurrence/reservations.js';
import type { RecurrenceConfigured, RecurrenceModified, TherapistEvent } from './therapist-events.js';
import type { RecurrenceInState, RecurrenceStatus, RegisteredTherapist } from './therapist-state.js';

export type RecurrenceEvent = Extract<
  TherapistEvent,
  {
    type:
      | 'RecurrenceConfigured'
      | 'RecurrenceModified'
      | 'RecurrencePaused'
      | 'RecurrenceResumed'
      | 'RecurrenceStopped'
      | 'RecurrenceCompleted'
      | 'RecurringSessionSkipped'
      | 'SessionRescheduled'
      | 'SessionPaymentReceived'
      | 'PaymentReminderDue'
      | 'NotificationsRead';
  }
>;

/** How recurrences and the sessions they generate change the therapist's state. */
export function evolveRecurrence(s: RegisteredTherapist, event: RecurrenceEvent): RegisteredTherapist {
  switch (event.type) {
    case 'RecurrenceConfigured': {
      const d = event.data;
      const recurrence: RecurrenceInState = { recurrenceId: d.recurrenceId, patientId: d.patientId, ...settingsOf(d), status: 'active', notBefore: d.startDate, handledThrough: null };
      return { ...s, recurrences: { ...s.recurrences, [d.recurrenceId]: recurrence } };
    }
    case 'RecurrenceModified':
      // The days from `effectiveFrom` on are decided again under the new rule.
      return updateRecurrence(s, event.data.recurrenceId, (r) => ({ ...r, ...settingsOf(event.data), notBefore: laterDate(r.notBefore, event.data.startDate), handledThrough: reopened(r.handledThrough, event.data.effectiveFrom) }));
    case 'RecurrencePaused':
      return setStatus(s, event.data.recurrenceId, 'paused');
    case 'RecurrenceResumed':
      // BR-RS-004: nothing of the pause is made up; the next occurrence is counted from that day.
      return updateRecurrence(s, event.data.recurrenceId, (r) => ({ ...r, status: 'active', notBefore: laterDate(r.notBefore, event.data.resumeFrom) }));
    case 'RecurrenceStopped':
      return setStatus(s, event.data.recurrenceId, 'stopped');
    case 'RecurrenceCompleted':
      return setStatus(s, event.data.recurrenceId, 'completed');
    case 'RecurringSessionSkipped':
      return handled(s, event.data.recurrenceId, event.data.occurrenceDate);
    case 'SessionRescheduled': {
      const d = event.data;
      const session = s.sessions[d.sessionId];
      return session ? { ...s, sessions: { ...s.sessions, [d.sessionId]: { ...session, startsAt: d.startsAt, endsAt: d.endsAt, durationMinutes: d.durationMinutes, price: d.price } } } : s;
    }
    case 'SessionPaymentReceived': {
      const session = s.sessions[event.data.sessionId];
      return session ? { ...s, sessions: { ...s.sessions, [session.sessionId]: { ...session, paymentStatus: 'paid' } } } : s;
    }
    case 'PaymentReminderDue': {
      const session = s.sessions[event.data.sessionId];
      return session ? { ...s, sessions: { ...s.sessions, [session.sessionId]: { ...session, reminderDueAt: event.data.dueAt } } } : s;
    }
    case 'NotificationsRead':
      return s;
  }
}

/** A generated occurrence moves its recurrence on past that date. */
export function handled(s: RegisteredTherapist, recurrenceId: string, date: string): RegisteredTherapist {
  return updateRecurrence(s, recurrenceId, (r) => ({ ...r, handledThrough: r.handledThrough === null ? date : laterDate(r.handledThrough, date) }));
}

function settingsOf(d: RecurrenceConfigured['data'] | RecurrenceModified['data']): Pick<RecurrenceInState, 'schedule' | 'price' | 'reminders'> {
  return {
    schedule: canonicalSchedule(d),
    price: d.price,
    reminders: d.reminders,
  };
}

function reopened(handledThrough: string | null, from: string): string | null {
  if (handledThrough === null || handledThrough < from) return handledThrough;
  const day = parseLocalDate(from);
  return day === null ? handledThrough : formatLocalDate(day - 1);
}


function setStatus(s: RegisteredTherapist, id: string, status: RecurrenceStatus): RegisteredTherapist {
  return updateRecurrence(s, id, (r) => ({ ...r, status }));
}

function updateRecurrence(s: RegisteredTherapist, id: string, change: (r: RecurrenceInState) => RecurrenceInState): RegisteredTherapist {
  const recurrence = Object.hasOwn(s.recurrences, id) ? s.recurrences[id] : undefined;
  return recurrence ? { ...s, recurrences: { ...s.recurrences, [id]: change(recurrence) } } : s;
}
