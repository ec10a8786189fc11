import type { Knex } from 'knex';
import { NotFound } from '../domain/shared/domain-error.js';
import type { AvailabilityException, AvailabilityRule } from '../domain/availability/availability-types.js';

/** The time zone the therapist's calendar is kept in. */
export async function therapistTimezone(db: Knex, therapistId: string): Promise<string> {
  const row = await db<{ timezone: string }>('read.booking_policies').select('timezone').where('therapist_id', therapistId).first();
  if (!row) throw new NotFound('therapist', therapistId);
  return row.timezone;
}

/** The weekly schedule, by day then start. */
export async function weeklyRules(db: Knex, therapistId: string): Promise<{ id: string; dayOfWeek: number; startTime: string; endTime: string }[]> {
  const rows = await db<{ rule_id: string; day_of_week: number; start_time: string; end_time: string }>('read.availability_rules')
    .select('rule_id', 'day_of_week', 'start_time', 'end_time')
    .where('therapist_id', therapistId)
    .orderBy([{ column: 'day_of_week' }, { column: 'start_time' }]);
  return rows.map((r) => ({ id: r.rule_id, dayOfWeek: r.day_of_week, startTime: r.start_time, endTime: r.end_time }));
}

export function ruleView(rule: AvailabilityRule): { id: string; dayOfWeek: number; startTime: string; endTime: string } {
  return { id: rule.ruleId, dayOfWeek: rule.dayOfWeek, startTime: rule.startTime, endTime: rule.endTime };
}

export interface ExceptionView {
  readonly id: string;
  readonly date: string;
  readonly allDay: boolean;
  readonly startTime: string | null;
  readonly endTime: string | null;
  readonly isAvailable: boolean;
  readonly reason: string | null;
}

export function exceptionView(e: AvailabilityException): ExceptionView {
  return { id: e.exceptionId, date: e.date, allDay: e.allDay, startTime: e.startTime, endTime: e.endTime, isAvailable: e.isAvailable, reason: e.reason };
}

/** Exceptions dated `fromDate` (the therapist's local today) or later, soonest first. */
export async function upcomingExceptions(db: Knex, therapistId: string, fromDate: string): Promise<ExceptionView[]> {
  const rows = await db<{ exception_id: string; date: string; all_day: boolean; start_time: string | null; end_time: string | null; is_available: boolean; reason: string | null }>(
    'read.availability_exceptions',
  )
    .select('exception_id', 'date', 'all_day', 'start_time', 'end_time', 'is_available', 'reason')
    .where('therapist_id', therapistId)
    .where('date', '>=', fromDate)
    .orderBy([{ column: 'date' }, { column: 'start_time' }]);
  return rows.map((r) =>
    exceptionView({ exceptionId: r.exception_id, date: r.date, allDay: r.all_day, startTime: r.start_time, endTime: r.end_time, isAvailable: r.is_available, reason: r.reason }),
  );
}
