import { intervalRelation } from '../availability/slot-search.js';
import { formatLocalDate, localDayOf, parseLocalDate, timeZone } from '../availability/time.js';
import { canonicalSchedule, occurrenceDates, occurrenceInterval, ruleText, validateSchedule, type RecurrenceSchedule } from '../recurrence/recurrence-schedule.js';
import { laterDate } from '../recurrence/reservations.js';
import { Conflict, NotFound, ValidationFailed } from '../shared/domain-error.js';
import { calendarFacts } from './calendar-facts.js';
import { requireRegistered } from './registered.js';
import type { ChangeRecurrenceState, ConfigureRecurrence, ModifyRecurrence, RecurrenceSettings } from './recurrence-commands.js';
import type { TherapistEvent } from './therapist-events.js';
import type { RecurrenceInState, RegisteredTherapist, SessionInState, TherapistState } from './therapist-state.js';

/** How far ahead two recurrences are compared for a clash: a year of their sessions. */
const CLASH_HORIZON_DAYS = 366;

export function decideConfigureRecurrence(command: ConfigureRecurrence, state: TherapistState): TherapistEvent[] {
  const therapist = requireRegistered(state);
  const schedule = scheduleOf(therapist, command);
  const existing = recurrenceIn(therapist, command.recurrenceId);
  if (existing) {
    // A retried request with the same id is answered as if it were the first.
    if (existing.patientId === command.patientId && sameSettings(existing, { ...command, schedule })) return [];
    throw new Conflict('recurrence_exists', 'A recurrence with this id exists with other settings', { recurrenceId: command.recurrenceId });
  }
  validate(schedule, todayOf(therapist, command.now), 'startDate');
  refuseClash(therapist, command.recurrenceId, schedule);
  const { reminders, price } = command;
  return [{ type: 'RecurrenceConfigured', data: { recurrenceId: command.recurrenceId, patientId: command.patientId, ...schedule, price, reminders, rule: ruleText(schedule), configuredAt: command.now.toISOString() } }];
}

/**
 * BR-RS-005: the new settings apply to occurrences not generated yet, from today on (`effectiveFrom`:
 * the coming days are decided again under the new rule, and a date that already has a session of the
 * recurrence keeps it). With `applyToPending`, the generated sessions not paid yet and still ahead
 * follow: on a date the new rule keeps, they take its time, length and price (unless that would
 * overlap another session or hold, or is past); on a date it no longer has (a new weekday), they are
 * cancelled, and the new rule's occurrence is generated in their place. Paid sessions are never touched.
 */
export function decideModifyRecurrence(command: ModifyRecurrence, state: TherapistState): TherapistEvent[] {
  const therapist = requireRegistered(state);
  const recurrence = requireLive(therapist, command.recurrenceId);
  const schedule = scheduleOf(therapist, command);
  validate(schedule, todayOf(therapist, command.now), null);
  refuseClash(therapist, recurrence.recurrenceId, schedule);
  const effectiveFrom = laterDate(recurrence.notBefore, todayOf(therapist, command.now));
  const at = command.now.toISOString();
  const events: TherapistEvent[] = [
    { type: 'RecurrenceModified', data: { recurrenceId: recurrence.recurrenceId, ...schedule, price: command.price, reminders: command.reminders, rule: ruleText(schedule), effectiveFrom, modifiedAt: at } },
  ];
  if (command.applyToPending) {
    for (const change of pendingChanges(therapist, recurrence.recurrenceId, schedule, command.price, command.now)) {
      if (change.kind === 'cancel') events.push({ type: 'SessionCancelled', data: { sessionId: change.session.sessionId, cancelledBy: 'therapist', reason: null, cancelledAt: at } });
      else if (change.movable) events.push({ type: 'SessionRescheduled', data: { sessionId: change.session.sessionId, ...change.interval, durationMinutes: schedule.durationMinutes, price: command.price, rescheduledAt: at } });
    }
  }
  return events;
}

export interface PendingChange {
  /** reschedule: same date, new time, length or price; cancel: the new rule has no occurrence that day. */
  readonly kind: 'reschedule' | 'cancel';
  readonly session: SessionInState;
  readonly interval: { readonly startsAt: string; readonly endsAt: string };
  /** false when the new time would overlap another session or hold, or is already past: the session keeps its time. */
  readonly movable: boolean;
}

/** The generated sessions, not paid and still ahead, that new settings would change (the "3" of "Update 3 pending sessions?"). */
export function pendingChanges(therapist: RegisteredTherapist, recurrenceId: string, schedule: RecurrenceSchedule, price: number, now: Date): PendingChange[] {
  const changes: PendingChange[] = [];
  for (const session of Object.values(therapist.sessions)) {
    if (session.recurrenceId !== recurrenceId || session.occurrenceDate === null || session.status !== 'scheduled' || session.paymentStatus !== 'pending') continue;
    if (Date.parse(session.startsAt) <= now.getTime()) continue;
    const interval = occurrenceInterval(schedule, session.occurrenceDate);
    if (occurrenceDates(schedule, session.occurrenceDate, session.occurrenceDate).length === 0) {
      changes.push({ kind: 'cancel', session, interval, movable: true });
      continue;
    }
    if (interval.startsAt === session.startsAt && interval.endsAt === session.endsAt && price === session.price) continue;
    const facts = calendarFacts({ ...therapist, sessions: Object.fromEntries(Object.entries(therapist.sessions).filter(([id]) => id !== session.sessionId)) });
    const relation = intervalRelation(facts, interval, now);
    // A session still ahead never moves to a time already past (today's 17:00 changed to 14:00 at 15:00).
    changes.push({ kind: 'reschedule', session, interval, movable: relation !== 'booked' && relation !== 'locked' && Date.parse(interval.startsAt) > now.getTime() });
  }
  return changes;
}

export function decideChangeRecurrenceState(command: ChangeRecurrenceState, state: TherapistState): TherapistEvent[] {
  const therapist = requireRegistered(state);
  const recurrence = recurrenceIn(therapist, command.recurrenceId);
  if (!recurrence) throw new NotFound('recurrence', command.recurrenceId);
  const at = command.now.toISOString();
  const id = recurrence.recurrenceId;
  switch (command.type) {
    case 'StopRecurrence':
      return recurrence.status === 'stopped' || recurrence.status === 'completed' ? [] : [{ type: 'RecurrenceStopped', data: { recurrenceId: id, stoppedAt: at } }];
    case 'PauseRecurrence':
      if (recurrence.status === 'paused') return [];
      requireLive(therapist, id);
      return [{ type: 'RecurrencePaused', data: { recurrenceId: id, pausedAt: at } }];
    case 'ResumeRecurrence':
      if (recurrence.status === 'active') return [];
      requireLive(therapist, id);
      return [{ type: 'RecurrenceResumed', data: { recurrenceId: id, resumeFrom: todayOf(therapist, command.now), resumedAt: at } }];
  }
}

export function recurrenceIn(therapist: RegisteredTherapist, id: string): RecurrenceInState | undefined {
  return Object.hasOwn(therapist.recurrences, id) ? therapist.recurrences[id] : undefined;
}

export function todayOf(therapist: RegisteredTherapist, now: Date): string {
  return formatLocalDate(localDayOf(timeZone(therapist.policies.timezone), now.getTime()));
}

function requireLive(therapist: RegisteredTherapist, id: string): RecurrenceInState {
  const recurrence = recurrenceIn(therapist, id);
  if (!recurrence) throw new NotFound('recurrence', id);
  if (recurrence.status === 'stopped' || recurrence.status === 'completed') {
    throw new Conflict(`recurrence_${recurrence.status}`, `This recurrence is ${recurrence.status}`, { recurrenceId: id });
  }
  return recurrence;
}

function scheduleOf(therapist: RegisteredTherapist, settings: RecurrenceSettings): RecurrenceSchedule {
  return canonicalSchedule({ ...settings.schedule, timezone: therapist.policies.timezone });
}

function validate(schedule: RecurrenceSchedule, today: string, startField: 'startDate' | null): void {
  const issues = validateSchedule(schedule);
  if (startField && issues.length === 0 && schedule.startDate < today) issues.push({ field: startField, message: `Must not be before today (${today})` });
  if (issues.length === 0 && schedule.endDate !== null && occurrenceDates(schedule, schedule.startDate, schedule.endDate).length === 0) {
    issues.push({ field: 'endDate', message: 'No session falls between startDate and endDate' });
  }
  if (issues.length > 0) throw new ValidationFailed(issues, 'The recurrence is not valid');
}

/** Two live recurrences of one therapist never hold the same time: the second is refused. */
function refuseClash(therapist: RegisteredTherapist, recurrenceId: string, schedule: RecurrenceSchedule): void {
  const start = parseLocalDate(schedule.startDate) ?? 0;
  const until = formatLocalDate(start + CLASH_HORIZON_DAYS);
  // With the policy's buffers: two sessions closer than them would skip one of them every time.
  const pad = (therapist.policies.bufferBeforeMinutes + therapist.policies.bufferAfterMinutes) * 60_000;
  const mine = occurrenceDates(schedule, schedule.startDate, until).map((date) => occurrenceInterval(schedule, date));
  for (const other of Object.values(therapist.recurrences)) {
    if (other.recurrenceId === recurrenceId || other.status === 'stopped' || other.status === 'completed') continue;
    const theirs = occurrenceDates(other.schedule, laterDate(other.notBefore, schedule.startDate), until).map((date) => occurrenceInterval(other.schedule, date));
    const clash = mine.find((a) => theirs.some((b) => Date.parse(a.startsAt) < Date.parse(b.endsAt) + pad && Date.parse(b.startsAt) < Date.parse(a.endsAt) + pad));
    if (clash) throw new Conflict('recurrence_clash', 'Another recurrence of this calendar holds the same time', { recurrenceId: other.recurrenceId, startsAt: clash.startsAt });
  }
}

function sameSettings(r: RecurrenceInState, settings: { schedule: RecurrenceSchedule; price: number; reminders: RecurrenceSettings['reminders'] }): boolean {
  return JSON.stringify([r.schedule, r.price, r.reminders]) === JSON.stringify([settings.schedule, settings.price, settings.reminders]);
}
