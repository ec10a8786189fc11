import type { BookingPolicies, DateRange, DaySlots } from '../domain/availability/availability-types.js';
import { computeSlots } from '../domain/availability/slots.js';
import { formatLocalDate, localDayOf, timeZone } from '../domain/availability/time.js';
import type { RecurrenceSchedule } from '../domain/recurrence/recurrence-schedule.js';
import { calendarFactsForPatients } from '../domain/therapist/calendar-facts.js';
import { therapistStream } from '../domain/therapist/streams.js';
import { therapistEventCodec } from '../domain/therapist/therapist-events.js';
import { evolveTherapist } from '../domain/therapist/therapist-evolve.js';
import { initialTherapistState, type BookingInState, type BookingStatus, type RegisteredTherapist, type TherapistState } from '../domain/therapist/therapist-state.js';
import type { EventStore } from '../infra/event-store/event-store.js';
import { DEFAULT_RANGE_DAYS } from './availability.js';

/**
 * A therapist's calendar as it stood at `asOf`, for disputes ("was this slot free when the patient
 * booked?"). `asOf` is an instant of the log's own clock: the fold takes the stream's events up to the
 * first one recorded after it (`recordedAt`, when the store recorded it; in production the service's
 * clock and the store's agree), and the public availability is computed with `asOf` as "now" — the
 * state the decider held then, and the definition the public calendar applies (calendarFactsForPatients
 * + computeSlots). Not in it: busy time from the therapist's own Google calendar, which is looked up
 * live and never was in the log. Bookings and sessions are those the decision state still kept then
 * (closed ones drop out some days after their slot; the history has every event). Ids, times,
 * statuses and amounts only: no personal data.
 */
export interface CalendarAsOf {
  readonly therapistId: string;
  readonly asOf: string;
  /** The last event folded: its revision, position and when it was recorded (revision -1: none). */
  readonly stream: { readonly revision: number; readonly position: string | null; readonly recordedAt: string | null };
  readonly policies: BookingPolicies;
  readonly rules: readonly { ruleId: string; dayOfWeek: number; startTime: string; endTime: string }[];
  readonly exceptions: readonly { exceptionId: string; date: string; allDay: boolean; startTime: string | null; endTime: string | null; isAvailable: boolean }[];
  /** Requests whose slot was held at asOf, and until when. */
  readonly holds: readonly { bookingId: string; status: BookingStatus; startsAt: string; endsAt: string; heldUntil: string | null }[];
  readonly bookings: readonly BookingAsOf[];
  readonly sessions: readonly SessionAsOf[];
  readonly recurrences: readonly RecurrenceAsOf[];
  /** What a patient saw: the same answer shape as GET /api/public/availability's days. */
  readonly availability: { readonly timezone: string; readonly start: string; readonly end: string; readonly days: readonly DaySlots[] };
}

/** Named field by field, so nothing added to the decision state later reaches auditors unseen. */
type BookingAsOf = Pick<BookingInState, 'bookingId' | 'status' | 'startsAt' | 'endsAt' | 'requestedDate' | 'requestedTime' | 'durationMinutes' | 'priceAtBooking' | 'holdExpiresAt' | 'expiresAt' | 'holdReleased' | 'paymentExpiresAt' | 'sessionId'>;
interface SessionAsOf {
  sessionId: string;
  patientId: string;
  bookingId: string | null;
  recurrenceId: string | null;
  startsAt: string;
  endsAt: string;
  durationMinutes: number;
  price: number;
  paymentStatus: 'paid' | 'pending';
  status: string;
}
interface RecurrenceAsOf {
  recurrenceId: string;
  patientId: string;
  schedule: RecurrenceSchedule;
  price: number;
  status: string;
  notBefore: string;
  handledThrough: string | null;
}

const PAGE = 1000;

/** The therapist stream folded as of `asOf`; undefined when the therapist was not registered by then. */
export async function calendarAsOf(store: EventStore, therapistId: string, asOf: Date, range?: DateRange): Promise<CalendarAsOf | undefined> {
  const folded = await foldAsOf(store, therapistId, asOf);
  const state = folded.state;
  if (state.status !== 'registered') return undefined;
  const days = range ?? nextDays(state.policies.timezone, asOf);
  const slots = computeSlots(calendarFactsForPatients(state, asOf), days, asOf);
  return {
    therapistId,
    asOf: asOf.toISOString(),
    stream: folded.last,
    policies: state.policies,
    rules: state.rules.map(({ ruleId, dayOfWeek, startTime, endTime }) => ({ ruleId, dayOfWeek, startTime, endTime })),
    // An exception's reason is the therapist's free text: not for this answer.
    exceptions: Object.values(state.exceptions).map(({ exceptionId, date, allDay, startTime, endTime, isAvailable }) => ({ exceptionId, date, allDay, startTime, endTime, isAvailable })),
    holds: holdsAt(state, asOf),
    bookings: Object.values(state.bookings).map((b) => ({
      bookingId: b.bookingId, status: b.status, startsAt: b.startsAt, endsAt: b.endsAt, requestedDate: b.requestedDate, requestedTime: b.requestedTime, durationMinutes: b.durationMinutes,
      priceAtBooking: b.priceAtBooking, holdExpiresAt: b.holdExpiresAt, expiresAt: b.expiresAt, holdReleased: b.holdReleased, paymentExpiresAt: b.paymentExpiresAt, sessionId: b.sessionId,
    })),
    sessions: Object.values(state.sessions).map((s) => ({
      sessionId: s.sessionId, patientId: s.patientId, bookingId: s.bookingId, recurrenceId: s.recurrenceId, startsAt: s.startsAt, endsAt: s.endsAt,
      durationMinutes: s.durationMinutes, price: s.price, paymentStatus: s.paymentStatus, status: s.status,
    })),
    recurrences: Object.values(state.recurrences).map((r) => ({
      recurrenceId: r.recurrenceId, patientId: r.patientId, schedule: r.schedule, price: r.price, status: r.status, notBefore: r.notBefore, handledThrough: r.handledThrough,
    })),
    availability: { timezone: slots.timezone, start: days.startDate, end: days.endDate, days: slots.days },
  };
}

async function foldAsOf(store: EventStore, therapistId: string, asOf: Date): Promise<{ state: TherapistState; last: CalendarAsOf['stream'] }> {
  let state: TherapistState = initialTherapistState;
  let last: CalendarAsOf['stream'] = { revision: -1, position: null, recordedAt: null };
  for (let fromRevision = 0; ; fromRevision += PAGE) {
    const events = await store.readStream(therapistStream(therapistId), { fromRevision, maxCount: PAGE });
    for (const event of events) {
      // A stream is a sequence: an event recorded after asOf, and every one after it, was not there yet.
      if (event.recordedAt > asOf) return { state, last };
      const decoded = therapistEventCodec.decode(event);
      if (decoded) state = evolveTherapist(state, decoded);
      last = { revision: event.streamRevision, position: `${event.position.commit}:${event.position.prepare}`, recordedAt: event.recordedAt.toISOString() };
    }
    if (events.length < PAGE) return { state, last };
  }
}

/** The holds busyIntervals counts, with the expiry judged at asOf (see domain/therapist/calendar-facts.ts). */
function holdsAt(state: RegisteredTherapist, asOf: Date): CalendarAsOf['holds'] {
  const live = (until: string | null) => until === null || Date.parse(until) > asOf.getTime();
  return Object.values(state.bookings).flatMap((b) => {
    const heldUntil = b.status === 'payment_processing' ? b.paymentExpiresAt : b.status === 'pending_payment' && !b.holdReleased ? b.holdExpiresAt : undefined;
    return heldUntil !== undefined && live(heldUntil) ? [{ bookingId: b.bookingId, status: b.status, startsAt: b.startsAt, endsAt: b.endsAt, heldUntil }] : [];
  });
}

/** Without a range, the public calendar's default: from the local date of `asOf`. */
function nextDays(zone: string, asOf: Date): DateRange {
  const today = localDayOf(timeZone(zone), asOf.getTime());
  return { startDate: formatLocalDate(today), endDate: formatLocalDate(today + DEFAULT_RANGE_DAYS - 1) };
}
