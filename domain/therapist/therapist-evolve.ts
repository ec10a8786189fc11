import { defaultBookingPolicies } from '../availability/availability-types.js';
import { assertNever } from '../shared/decider.js';
import { evolveRecurrence, handled } from './evolve-recurrence.js';
import type { TherapistEvent } from './therapist-events.js';
import type { BookingInState, BookingStatus, RegisteredTherapist, SessionInState, SessionStatus, TherapistState } from './therapist-state.js';

const DAY_MS = 86_400_000;
/** Closed bookings stay this long after their slot: long enough to answer "already cancelled" to a late retry. */
const CLOSED_BOOKING_RETENTION_MS = 7 * DAY_MS;
/** Sessions stay this long after they end: long enough to record an outcome (completed, no-show) late. */
const SESSION_RETENTION_MS = 90 * DAY_MS;
const EXCEPTION_RETENTION_MS = 2 * DAY_MS;

export function evolveTherapist(state: TherapistState, event: TherapistEvent): TherapistState {
  if (event.type === 'TherapistRegistered') {
    const d = event.data;
    return {
      status: 'registered',
      therapistId: d.therapistId,
      name: d.name,
      slug: d.slug,
      sessionPrice: d.sessionPrice,
      policies: defaultBookingPolicies(d.timezone),
      rules: [],
      exceptions: {},
      bookings: {},
      sessions: {},
      recurrences: {},
      latestMs: Date.parse(d.registeredAt),
    };
  }
  if (state.status !== 'registered') return state;
  return advance(state, applyToRegistered(state, event), instantOf(event));
}

function applyToRegistered(s: RegisteredTherapist, event: Exclude<TherapistEvent, { type: 'TherapistRegistered' }>): RegisteredTherapist {
  switch (event.type) {
    case 'WeeklyScheduleDefined':
      return { ...s, rules: event.data.rules };
    case 'AvailabilityRuleRemoved':
      return { ...s, rules: s.rules.filter((r) => r.ruleId !== event.data.ruleId) };
    case 'AvailabilityExceptionAdded':
      return { ...s, exceptions: { ...s.exceptions, [event.data.exceptionId]: event.data } };
    case 'AvailabilityExceptionRemoved':
      return { ...s, exceptions: without(s.exceptions, event.data.exceptionId) };
    case 'BookingPoliciesChanged':
      return { ...s, policies: event.data };
    case 'BookingRequested': {
      const d = event.data;
      const booking: BookingInState = {
        bookingId: d.bookingId,
        status: 'pending_payment',
        startsAt: d.startsAt,
        endsAt: d.endsAt,
        requestedDate: d.requestedDate,
        requestedTime: d.requestedTime,
        durationMinutes: d.durationMinutes,
        priceAtBooking: d.priceAtBooking,
        holdExpiresAt: d.holdExpiresAt,
        expiresAt: d.expiresAt,
        holdReleased: false,
        paymentExpiresAt: null,
        contact: d.contact,
        patientTokenHash: d.patientTokenHash,
        sessionId: null,
        paymentMethod: d.paymentMethod,
        closedAt: null,
        archived: false,
      };
      return { ...s, bookings: { ...s.bookings, [d.bookingId]: booking } };
    }
    case 'BookingHoldExpired':
      return updateBooking(s, event.data.bookingId, (b) => ({ ...b, holdReleased: true }));
    case 'PaymentStarted':
      return updateBooking(s, event.data.bookingId, (b) => ({ ...b, status: 'payment_processing', paymentExpiresAt: event.data.paymentExpiresAt ?? b.startsAt }));
    case 'BookingConfirmed':
      return updateBooking(s, event.data.bookingId, (b) => ({ ...b, status: 'confirmed', sessionId: event.data.sessionId, closedAt: event.data.confirmedAt }));
    case 'BookingCancelled':
      return closeBooking(s, event.data.bookingId, 'cancelled', event.data.cancelledAt);
    case 'BookingExpired':
      return closeBooking(s, event.data.bookingId, 'expired', event.data.expiredAt);
    case 'BookingRequestArchived':
      return updateBooking(s, event.data.bookingId, (b) => ({ ...b, archived: true }));
    case 'LatePaymentReceived':
      // History for the therapist and the payments integration; no invariant depends on it.
      return s;
    case 'SessionScheduled': {
      const d = event.data;
      const session: SessionInState = {
        sessionId: d.sessionId,
        patientId: d.patientId,
        bookingId: d.bookingId,
        recurrenceId: d.recurrenceId,
        occurrenceDate: d.occurrenceDate,
        startsAt: d.startsAt,
        endsAt: d.endsAt,
        durationMinutes: d.durationMinutes,
        price: d.price,
        paymentStatus: d.paymentStatus,
        reminderDueAt: null,
        status: 'scheduled',
      };
      const next = { ...s, sessions: { ...s.sessions, [d.sessionId]: session } };
      return d.recurrenceId && d.occurrenceDate ? handled(next, d.recurrenceId, d.occurrenceDate) : next;
    }
    case 'SessionCompleted':
      return setSessionStatus(s, event.data.sessionId, 'completed');
    case 'SessionMarkedNoShow':
      return setSessionStatus(s, event.data.sessionId, 'no_show');
    case 'SessionCancelled':
      return setSessionStatus(s, event.data.sessionId, 'cancelled');
    case 'PatientTokenRevoked':
      return updateBooking(s, event.data.bookingId, (b) => ({ ...b, patientTokenHash: null }));
    case 'PatientTokenReissued':
      return updateBooking(s, event.data.bookingId, (b) => ({ ...b, patientTokenHash: event.data.patientTokenHash }));
    case 'RecurrenceConfigured':
    case 'RecurrenceModified':
    case 'RecurrencePaused':
    case 'RecurrenceResumed':
    case 'RecurrenceStopped':
    case 'RecurrenceCompleted':
    case 'RecurringSessionSkipped':
    case 'SessionRescheduled':
    case 'SessionPaymentReceived':
    case 'PaymentReminderDue':
    case 'NotificationsRead':
      return evolveRecurrence(s, event);
    default:
      return assertNever(event);
  }
}

/** The instant an event carries, if any: what moves the stream's own clock forward. */
function instantOf(event: TherapistEvent): number | null {
  const d: Record<string, unknown> = event.data;
  for (const key of ['requestedAt', 'confirmedAt', 'cancelledAt', 'expiredAt', 'archivedAt', 'startedAt', 'receivedAt', 'at', 'configuredAt', 'modifiedAt', 'pausedAt', 'resumedAt', 'stoppedAt', 'completedAt', 'skippedAt', 'rescheduledAt', 'dueAt', 'readAt']) {
    const value = d[key];
    if (typeof value === 'string') return Date.parse(value);
  }
  return null;
}

/** Moves the stream clock; once per new day it drops what can no longer matter to a decision. */
function advance(s: RegisteredTherapist, next: RegisteredTherapist, at: number | null): RegisteredTherapist {
  if (at === null || !(at > s.latestMs)) return next;
  const crossedDay = Math.floor(at / DAY_MS) > Math.floor(s.latestMs / DAY_MS);
  const moved = { ...next, latestMs: at };
  return crossedDay ? prune(moved) : moved;
}

const CLOSED: ReadonlySet<BookingStatus> = new Set(['confirmed', 'cancelled', 'expired']);

function prune(s: RegisteredTherapist): RegisteredTherapist {
  const now = s.latestMs;
  return {
    ...s,
    // An expired or cancelled request stays until it is archived: only then is nothing left to decide about it.
    bookings: filterRecord(s.bookings, (b) => !(CLOSED.has(b.status) && (b.status === 'confirmed' || b.archived) && Date.parse(b.endsAt) + CLOSED_BOOKING_RETENTION_MS < now)),
    // An unpaid session stays until it is paid or cancelled: its payment may still be recorded.
    sessions: filterRecord(s.sessions, (x) => Date.parse(x.endsAt) + SESSION_RETENTION_MS >= now || (x.paymentStatus === 'pending' && x.status !== 'cancelled')),
    exceptions: filterRecord(s.exceptions, (e) => Date.parse(`${e.date}T00:00:00Z`) + EXCEPTION_RETENTION_MS >= now),
  };
}

function updateBooking(s: RegisteredTherapist, id: string, change: (b: BookingInState) => BookingInState): RegisteredTherapist {
  const booking = s.bookings[id];
  return booking ? { ...s, bookings: { ...s.bookings, [id]: change(booking) } } : s;
}

function closeBooking(s: RegisteredTherapist, id: string, status: 'cancelled' | 'expired', at: string): RegisteredTherapist {
  return updateBooking(s, id, (b) => ({ ...b, status, closedAt: at }));
}

function setSessionStatus(s: RegisteredTherapist, id: string, status: SessionStatus): RegisteredTherapist {
  const session = s.sessions[id];
  return session ? { ...s, sessions: { ...s.sessions, [id]: { ...session, status } } } : s;
}

function without<T>(record: Readonly<Record<string, T>>, key: string): Record<string, T> {
  const { [key]: _removed, ...rest } = record;
  return rest;
}

function filterRecord<T>(record: Readonly<Record<string, T>>, keep: (value: T) => boolean): Record<string, T> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => keep(value)));
}
