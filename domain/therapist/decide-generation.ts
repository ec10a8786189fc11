import type { AvailabilityFacts, BusyInterval } from '../availability/availability-types.js';
import { DayRangePlanner, type MinuteRange } from '../availability/day-ranges.js';
import { intervalRelation } from '../availability/slot-search.js';
import { formatLocalDate, MS_PER_MINUTE, parseLocalDate, parseLocalTime } from '../availability/time.js';
import { nextOccurrenceAfter, occurrenceDates, occurrenceInterval } from '../recurrence/recurrence-schedule.js';
import { firstOpenDate } from '../recurrence/reservations.js';
import type { SkipReason } from './events/recurrence-events.js';
import { calendarFacts } from './calendar-facts.js';
import { recurrenceIn, todayOf } from './decide-recurrence.js';
import { requireRegistered } from './registered.js';
import type { GenerateRecurringSessions, RecordPaymentReminderDue, RecordPaymentRemindersDue } from './recurrence-commands.js';
import type { TherapistEvent } from './therapist-events.js';
import type { RecurrenceInState, RegisteredTherapist, TherapistState } from './therapist-state.js';

/**
 * The session id of a recurrence's occurrence: the same for every run that generates it, so no run
 * can make a second one. The recurrence's (random) UUID with its last 48 bits XORed with the local
 * day number plus one: distinct per date, never the recurrence's own id, still a UUID.
 */
export function occurrenceSessionId(recurrenceId: string, date: string): string {
  // Ids that are not UUIDs (specifications' short names) are joined to the date instead.
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(recurrenceId)) return `${recurrenceId}:${date}`;
  const day = BigInt((parseLocalDate(date) ?? 0) + 1);
  const node = (BigInt(`0x${recurrenceId.slice(24)}`) ^ day) & 0xffffffffffffn;
  return `${recurrenceId.slice(0, 24)}${node.toString(16).padStart(12, '0')}`;
}

/**
 * BR-RS-001/002, EC-AV-004: every occurrence of an active recurrence from where it stands up to
 * `advanceDays` ahead is generated as a pending session, or skipped with its reasons: outside the
 * weekly rules, inside an exception, overlapping a session or a hold, breaking a buffer, or already
 * past (the run came too late). Runs are idempotent: what a run handled, the next goes on from.
 */
export function decideGenerateRecurringSessions(command: GenerateRecurringSessions, state: TherapistState): TherapistEvent[] {
  const therapist = requireRegistered(state);
  const today = parseLocalDate(todayOf(therapist, command.now)) ?? 0;
  const until = formatLocalDate(today + command.advanceDays);
  const facts = calendarFacts(therapist);
  const planner = new DayRangePlanner(facts.rules, facts.exceptions);
  const weeklyOnly = new DayRangePlanner(facts.rules, []);
  // Sessions generated in this run count as busy for the occurrences after them.
  const generated: BusyInterval[] = [];
  const events: TherapistEvent[] = [];
  const at = command.now.toISOString();
  for (const recurrence of Object.values(therapist.recurrences)) {
    if (recurrence.status !== 'active') continue;
    const from = firstOpenDate(recurrence);
    const to = recurrence.schedule.endDate !== null && recurrence.schedule.endDate < until ? recurrence.schedule.endDate : until;
    const sessionDates = new Set(Object.values(therapist.sessions).flatMap((x) => (x.recurrenceId === recurrence.recurrenceId && x.occurrenceDate !== null ? [x.occurrenceDate] : [])));
    for (const date of occurrenceDates(recurrence.schedule, from, to)) {
      // A date decided again after a change keeps the session it has (whatever became of it).
      if (sessionDates.has(date)) continue;
      const interval = occurrenceInterval(recurrence.schedule, date);
      const reasons = skipReasons({ ...facts, busy: [...facts.busy, ...generated] }, { planner, weeklyOnly }, recurrence, date, interval, command.now);
      if (reasons.length > 0) {
        events.push({
          type: 'RecurringSessionSkipped',
          data: { recurrenceId: recurrence.recurrenceId, patientId: recurrence.patientId, occurrenceDate: date, ...interval, reasons, exceptionIds: blockingExceptions(therapist, date, recurrence), skippedAt: at },
        });
        continue;
      }
      generated.push({ ...interval, kind: 'session', expiresAt: null });
      events.push({
        type: 'SessionScheduled',
        data: {
          sessionId: occurrenceSessionId(recurrence.recurrenceId, date),
          patientId: recurrence.patientId,
          bookingId: null,
          recurrenceId: recurrence.recurrenceId,
          ...interval,
          durationMinutes: recurrence.schedule.durationMinutes,
          price: recurrence.price,
          paymentStatus: 'pending',
          source: 'recurrence',
          occurrenceDate: date,
        },
      });
    }
    const last = lastHandled(recurrence, events);
    // BR-RS-006: no occurrence left before the end date: the recurrence is complete.
    if (recurrence.schedule.endDate !== null) {
      const next = nextOccurrenceAfter(recurrence.schedule, last ?? formatLocalDate((parseLocalDate(from) ?? 0) - 1));
      if (next === null || next > recurrence.schedule.endDate) {
        events.push({ type: 'RecurrenceCompleted', data: { recurrenceId: recurrence.recurrenceId, lastOccurrenceDate: last, completedAt: at } });
      }
    }
  }
  return events;
}

/** BR-RS-007: the reminder of a generated session still unpaid and ahead; nothing for anything else. */
export function decideRecordPaymentReminderDue(command: RecordPaymentReminderDue, state: TherapistState): TherapistEvent[] {
  const therapist = requireRegistered(state);
  const session = Object.hasOwn(therapist.sessions, command.sessionId) ? therapist.sessions[command.sessionId] : undefined;
  if (!session || session.status !== 'scheduled' || session.paymentStatus !== 'pending' || session.reminderDueAt !== null || Date.parse(session.startsAt) <= command.now.getTime()) return [];
  const recurrence = session.recurrenceId ? recurrenceIn(therapist, session.recurrenceId) : undefined;
  if (recurrence && !recurrence.reminders.enabled) return [];
  return [{ type: 'PaymentReminderDue', data: { sessionId: session.sessionId, recurrenceId: session.recurrenceId, dueAt: command.now.toISOString() } }];
}

export function decideRecordPaymentRemindersDue(command: RecordPaymentRemindersDue, state: TherapistState): TherapistEvent[] {
  return command.sessionIds.flatMap((sessionId) => decideRecordPaymentReminderDue({ type: 'RecordPaymentReminderDue', sessionId, now: command.now }, state));
}

function lastHandled(r: RecurrenceInState, events: readonly TherapistEvent[]): string | null {
  let last = r.handledThrough;
  for (const e of events) {
    const date = e.type === 'SessionScheduled' && e.data.recurrenceId === r.recurrenceId ? e.data.occurrenceDate : e.type === 'RecurringSessionSkipped' && e.data.recurrenceId === r.recurrenceId ? e.data.occurrenceDate : null;
    if (date !== null && (last === null || date > last)) last = date;
  }
  return last;
}

function skipReasons(
  facts: AvailabilityFacts,
  planners: { planner: DayRangePlanner; weeklyOnly: DayRangePlanner },
  recurrence: RecurrenceInState,
  date: string,
  interval: { startsAt: string; endsAt: string },
  now: Date,
): SkipReason[] {
  if (Date.parse(interval.startsAt) <= now.getTime()) return ['not_generated_in_time'];
  const reasons: SkipReason[] = [];
  const day = parseLocalDate(date) ?? 0;
  const start = parseLocalTime(recurrence.schedule.localTime) ?? 0;
  const minutes: MinuteRange = [start, start + (Date.parse(interval.endsAt) - Date.parse(interval.startsAt)) / MS_PER_MINUTE];
  if (!inside(planners.planner.rangesFor(day), minutes)) reasons.push(inside(planners.weeklyOnly.rangesFor(day), minutes) ? 'blocked_by_exception' : 'outside_availability');
  const relation = intervalRelation(facts, interval, now);
  if (relation === 'booked') reasons.push('overlaps_session');
  else if (relation === 'locked') reasons.push('overlaps_hold');
  else if (relation === 'too_close') reasons.push('buffer_violation');
  return reasons;
}

function inside(ranges: readonly MinuteRange[], [start, end]: MinuteRange): boolean {
  return ranges.some(([s, e]) => s <= start && end <= e);
}

function blockingExceptions(therapist: RegisteredTherapist, date: string, r: RecurrenceInState): string[] {
  const start = parseLocalTime(r.schedule.localTime) ?? 0;
  const end = start + r.schedule.durationMinutes;
  return Object.values(therapist.exceptions)
    .filter((e) => e.date === date && !e.isAvailable && (e.allDay || ((parseLocalTime(e.startTime ?? '') ?? 0) < end && start < (parseLocalTime(e.endTime ?? '', { endOfDay: true }) ?? 0))))
    .map((e) => e.exceptionId);
}
