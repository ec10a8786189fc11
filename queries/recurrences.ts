import type { Knex } from 'knex';
import { firstOpenDate } from '../domain/recurrence/reservations.js';
import { occurrenceDates, occurrenceInterval, ruleText, type RecurrenceSchedule } from '../domain/recurrence/recurrence-schedule.js';
import { NotFound } from '../domain/shared/domain-error.js';
import type { RecurrenceInState } from '../domain/therapist/therapist-state.js';

export interface RecurrenceView {
  readonly id: string;
  readonly patientId: string;
  readonly frequency: RecurrenceSchedule['frequency'];
  readonly intervalDays: number | null;
  readonly dayOfWeek: number | null;
  readonly time: string;
  readonly durationMinutes: number;
  readonly price: number;
  readonly startDate: string;
  readonly endDate: string | null;
  readonly paymentReminders: { readonly enabled: boolean; readonly daysBefore: number };
  readonly timezone: string;
  /** RFC 5545, floating local time in `timezone`. */
  readonly rule: string;
  readonly status: RecurrenceInState['status'];
  /** The latest occurrence date generated or skipped. */
  readonly handledThrough: string | null;
}

export function recurrenceView(r: RecurrenceInState): RecurrenceView {
  const s = r.schedule;
  return {
    id: r.recurrenceId,
    patientId: r.patientId,
    frequency: s.frequency,
    intervalDays: s.intervalDays,
    dayOfWeek: s.dayOfWeek,
    time: s.localTime,
    durationMinutes: s.durationMinutes,
    price: r.price,
    startDate: s.startDate,
    endDate: s.endDate,
    paymentReminders: r.reminders,
    timezone: s.timezone,
    rule: ruleText(s),
    status: r.status,
    handledThrough: r.handledThrough,
  };
}

/** A schedule's columns in read.recurrences (dates as YYYY-MM-DD). */
export interface ScheduleRow {
  frequency: RecurrenceSchedule['frequency'];
  interval_days: number | null;
  day_of_week: number | null;
  local_time: string;
  duration_minutes: number;
  start_date: string;
  end_date: string | null;
  timezone: string;
}

export function scheduleOfRow(r: ScheduleRow): RecurrenceSchedule {
  return { frequency: r.frequency, intervalDays: r.interval_days, dayOfWeek: r.day_of_week, localTime: r.local_time, durationMinutes: r.duration_minutes, startDate: r.start_date, endDate: r.end_date, timezone: r.timezone };
}

interface RecurrenceRow extends ScheduleRow {
  id: string;
  patient_id: string;
  price: string;
  reminders_enabled: boolean;
  reminder_days_before: number;
  status: RecurrenceInState['status'];
  not_before: string;
  handled_through: string | null;
}

function inState(row: RecurrenceRow): RecurrenceInState {
  return {
    recurrenceId: row.id,
    patientId: row.patient_id,
    schedule: scheduleOfRow(row),
    price: Number(row.price),
    reminders: { enabled: row.reminders_enabled, daysBefore: row.reminder_days_before },
    status: row.status,
    notBefore: row.not_before,
    handledThrough: row.handled_through,
  };
}

export async function recurrencesOfPatient(db: Knex, therapistId: string, patientId: string): Promise<RecurrenceView[]> {
  const rows = (await db('read.recurrences').where({ therapist_id: therapistId, patient_id: patientId }).orderBy([{ column: 'configured_at' }, { column: 'id' }])) as RecurrenceRow[];
  return rows.map((row) => recurrenceView(inState(row)));
}

async function recurrenceRow(db: Knex, therapistId: string, id: string): Promise<RecurrenceRow> {
  const row = (await db('read.recurrences').where({ therapist_id: therapistId, id }).first()) as RecurrenceRow | undefined;
  if (!row) throw new NotFound('recurrence', id);
  return row;
}

export type OccurrenceStatus = 'generated' | 'skipped' | 'to_be_generated' | 'not_generated';

export interface OccurrenceView {
  readonly date: string;
  readonly startsAt: string;
  readonly endsAt: string;
  readonly status: OccurrenceStatus;
  readonly sessionId?: string;
  readonly sessionStatus?: string;
  readonly paymentStatus?: string;
  readonly reasons?: readonly string[];
}

/**
 * A recurrence's occurrences between two local dates: generated (with its session), skipped (with
 * why), to be generated (while active), or not generated (passed while paused or stopped).
 */
export async function recurrenceOccurrences(db: Knex, therapistId: string, recurrenceId: string, range: { from: string; to: string }): Promise<OccurrenceView[]> {
  const recurrence = inState(await recurrenceRow(db, therapistId, recurrenceId));
  const sessions = (await db('read.sessions')
    .select('id', 'occurrence_date', 'starts_at', 'ends_at', 'status', 'payment_status')
    .where({ therapist_id: therapistId, recurrence_id: recurrenceId })
    .whereBetween('occurrence_date', [range.from, range.to])) as { id: string; occurrence_date: string; starts_at: Date; ends_at: Date; status: string; payment_status: string }[];
  const skipped = (await db('read.notifications')
    .select('occurrence_date', 'starts_at', 'reasons')
    .where({ therapist_id: therapistId, recurrence_id: recurrenceId, kind: 'recurring_session_skipped' })
    .whereBetween('occurrence_date', [range.from, range.to])) as { occurrence_date: string; starts_at: Date; reasons: string[] }[];
  const byDate = new Map<string, OccurrenceView>();
  for (const s of sessions) byDate.set(s.occurrence_date, { date: s.occurrence_date, startsAt: s.starts_at.toISOString(), endsAt: s.ends_at.toISOString(), status: 'generated', sessionId: s.id, sessionStatus: s.status, paymentStatus: s.payment_status });
  for (const s of skipped) {
    // At the time it was skipped at (the schedule may have changed since).
    const startsAt = s.starts_at.getTime();
    byDate.set(s.occurrence_date, { date: s.occurrence_date, startsAt: s.starts_at.toISOString(), endsAt: new Date(startsAt + recurrence.schedule.durationMinutes * 60_000).toISOString(), status: 'skipped', reasons: s.reasons });
  }
  const firstOpen = firstOpenDate(recurrence);
  for (const date of occurrenceDates(recurrence.schedule, range.from, range.to)) {
    if (byDate.has(date)) continue;
    const open = recurrence.status === 'active' && date >= firstOpen;
    byDate.set(date, { date, ...occurrenceInterval(recurrence.schedule, date), status: open ? 'to_be_generated' : 'not_generated' });
  }
  return [...byDate.values()].sort((a, b) => (a.date < b.date ? -1 : 1));
}

export interface NotificationView {
  readonly id: string;
  readonly kind: string;
  readonly createdAt: string;
  readonly read: boolean;
  readonly recurrenceId: string | null;
  readonly patient: { readonly id: string; readonly name: string | null } | null;
  readonly sessionId: string | null;
  readonly bookingId: string | null;
  readonly occurrenceDate: string | null;
  readonly startsAt: string | null;
  readonly reasons: readonly string[] | null;
  readonly exceptionIds: readonly string[] | null;
}

/** The therapist's dashboard notifications, newest first (unread only when asked). */
export async function therapistNotifications(db: Knex, therapistId: string, options: { unreadOnly: boolean; limit: number }): Promise<NotificationView[]> {
  const query = db('read.notifications as n')
    .leftJoin('read.patients as p', 'p.id', 'n.patient_id')
    .select('n.*', 'p.name as patient_name')
    .where('n.therapist_id', therapistId)
    .orderBy([{ column: 'n.created_at', order: 'desc' }, { column: 'n.id' }])
    .limit(options.limit);
  if (options.unreadOnly) void query.whereNull('n.read_at');
  const rows = (await query) as {
    id: string; kind: string; created_at: Date; read_at: Date | null; recurrence_id: string | null; patient_id: string | null; patient_name: string | null;
    session_id: string | null; booking_id: string | null; occurrence_date: string | null; starts_at: Date | null; reasons: string[] | null; exception_ids: string[] | null;
  }[];
  return rows.map((r) => ({
    id: r.id,
    kind: r.kind,
    createdAt: r.created_at.toISOString(),
    read: r.read_at !== null,
    recurrenceId: r.recurrence_id,
    patient: r.patient_id ? { id: r.patient_id, name: r.patient_name } : null,
    sessionId: r.session_id,
    bookingId: r.booking_id,
    occurrenceDate: r.occurrence_date,
    startsAt: r.starts_at?.toISOString() ?? null,
    reasons: r.reasons,
    exceptionIds: r.exception_ids,
  }));
}
