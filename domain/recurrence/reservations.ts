import type { BusyInterval } from '../availability/availability-types.js';
import { formatLocalDate, parseLocalDate } from '../availability/time.js';
import { occurrenceDates, occurrenceInterval, type RecurrenceSchedule } from './recurrence-schedule.js';

/** What of a recurrence decides which of its slots it still holds. */
export interface ReservingRecurrence {
  readonly schedule: RecurrenceSchedule;
  readonly status: 'active' | 'paused' | 'stopped' | 'completed';
  readonly notBefore: string;
  readonly handledThrough: string | null;
}

/**
 * The slots active recurrences hold ahead of generation, between two local dates: every occurrence
 * not generated (or skipped) yet. They show as booked to patients, so next month's Monday 09:00 cannot
 * be sold to someone else; the therapist's own sessions may still take them (BR-RS-002).
 */
/** The later of two local dates (YYYY-MM-DD compares as text). */
export function laterDate(a: string, b: string): string {
  return a >= b ? a : b;
}

/** The first date a recurrence may still generate: after the last one it handled, never before `notBefore`. */
export function firstOpenDate(r: Pick<ReservingRecurrence, 'notBefore' | 'handledThrough'>): string {
  const handled = r.handledThrough === null ? null : parseLocalDate(r.handledThrough);
  return handled === null ? r.notBefore : laterDate(r.notBefore, formatLocalDate(handled + 1));
}

export function reservedIntervals(recurrences: Iterable<ReservingRecurrence>, fromDate: string, toDate: string): BusyInterval[] {
  const busy: BusyInterval[] = [];
  for (const r of recurrences) {
    if (r.status !== 'active') continue;
    const from = laterDate(fromDate, firstOpenDate(r));
    const to = r.schedule.endDate !== null && r.schedule.endDate < toDate ? r.schedule.endDate : toDate;
    for (const date of occurrenceDates(r.schedule, from, to)) busy.push({ ...occurrenceInterval(r.schedule, date), kind: 'session', expiresAt: null });
  }
  return busy;
}
