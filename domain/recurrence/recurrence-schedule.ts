import rrulePackage from 'rrule';
import { dayOfWeek, formatLocalDate, localToInstantLenient, MS_PER_DAY, MS_PER_MINUTE, parseLocalDate, parseLocalTime, timeZone } from '../availability/time.js';
import type { FieldIssue } from '../shared/domain-error.js';

const { RRule } = rrulePackage;

export type RecurrenceFrequency = 'weekly' | 'biweekly' | 'monthly' | 'custom';

/**
 * When a recurrence's sessions happen, in the therapist's zone: 09:00 stays 09:00 local across DST.
 * Monthly sessions fall on the start date's day of the month; in a month without that day (the
 * 29th–31st) on the month's last day (RFC 5545: BYMONTHDAY=28..d;BYSETPOS=-1).
 */
export interface RecurrenceSchedule {
  readonly frequency: RecurrenceFrequency;
  /** custom only: every N days. */
  readonly intervalDays: number | null;
  /** weekly and biweekly: 0 = Sunday … 6 = Saturday (the start date's weekday when null). */
  readonly dayOfWeek: number | null;
  /** HH:MM, local. */
  readonly localTime: string;
  readonly durationMinutes: number;
  /** YYYY-MM-DD, local: the first day a session may fall on. */
  readonly startDate: string;
  /** YYYY-MM-DD, local, inclusive; null = until stopped. */
  readonly endDate: string | null;
  readonly timezone: string;
}

/** The schedule's fields in one order: what two schedules are compared by. */
export function canonicalSchedule(s: RecurrenceSchedule): RecurrenceSchedule {
  return { frequency: s.frequency, intervalDays: s.intervalDays, dayOfWeek: s.dayOfWeek, localTime: s.localTime, durationMinutes: s.durationMinutes, startDate: s.startDate, endDate: s.endDate, timezone: s.timezone };
}

export function validateSchedule(s: RecurrenceSchedule): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const start = parseLocalDate(s.startDate);
  if (start === null) issues.push({ field: 'startDate', message: 'Not a real calendar date' });
  if (s.endDate !== null) {
    const end = parseLocalDate(s.endDate);
    if (end === null) issues.push({ field: 'endDate', message: 'Not a real calendar date' });
    else if (start !== null && end < start) issues.push({ field: 'endDate', message: 'Must not be before startDate' });
  }
  const time = parseLocalTime(s.localTime);
  if (time === null) issues.push({ field: 'time', message: 'Must be a time HH:MM' });
  else if (time + s.durationMinutes > 24 * 60) issues.push({ field: 'durationMinutes', message: 'A session must end on the day it starts' });
  if (s.frequency === 'custom') {
    if (s.intervalDays === null) issues.push({ field: 'intervalDays', message: 'Required for a custom frequency: every N days' });
  } else if (s.intervalDays !== null) {
    issues.push({ field: 'intervalDays', message: 'Only for a custom frequency' });
  }
  // Weekly and biweekly: the first session is the first such weekday on or after the start date.
  if (s.frequency !== 'weekly' && s.frequency !== 'biweekly' && s.dayOfWeek !== null) {
    issues.push({ field: 'dayOfWeek', message: 'Only for a weekly or biweekly frequency' });
  }
  return issues;
}

/** The weekday the sessions fall on (weekly/biweekly), from the schedule or its start date. */
export function weekdayOf(s: RecurrenceSchedule): number {
  return s.dayOfWeek ?? dayOfWeek(parseLocalDate(s.startDate) ?? 0);
}

/** The schedule as RFC 5545 text (DTSTART and RRULE, floating local time), as kept in the events. */
export function ruleText(s: RecurrenceSchedule): string {
  // rrule writes its UTC fields with a Z, which RFC 5545 reads as UTC (09:00 Buenos Aires as 06:00):
  // without it, DTSTART and UNTIL are floating, the wall clock of the event's `timezone`.
  return ruleOf(s)
    .toString()
    .replace(/^(DTSTART:\d{8}T\d{6})Z$/m, '$1')
    .replace(/(UNTIL=\d{8}T\d{6})Z/, '$1');
}

const RRULE_DAYS = [RRule.SU, RRule.MO, RRule.TU, RRule.WE, RRule.TH, RRule.FR, RRule.SA];

/**
 * The schedule's rule. With `nearDay` (a day number), expanded from an occurrence just before it
 * rather than from the first: the same dates, at a cost that does not grow with the rule's age.
 */
function ruleOf(s: RecurrenceSchedule, nearDay?: number) {
  // rrule works in "floating" time: UTC fields standing for the therapist's wall clock.
  const startDay = parseLocalDate(s.startDate) ?? 0;
  const time = (parseLocalTime(s.localTime) ?? 0) * MS_PER_MINUTE;
  const start = startDay * MS_PER_DAY + time;
  const end = s.endDate === null ? null : ((parseLocalDate(s.endDate) ?? 0) + 1) * MS_PER_DAY - 1;
  const common = { dtstart: new Date(start), ...(end === null ? {} : { until: new Date(end) }) };
  /** The latest day at most `nearDay` that is `first` plus whole periods (or `first` itself). */
  const aligned = (first: number, period: number) => (nearDay === undefined || nearDay <= first ? first : first + Math.floor((nearDay - first) / period) * period);
  switch (s.frequency) {
    case 'weekly':
    case 'biweekly': {
      // DTSTART is the first session (the first such weekday on or after the start date), as RFC 5545
      // asks: with INTERVAL=2, rrule counts weeks from WKST (Monday), so a DTSTART in the week before
      // that weekday's would put the first session 2 weeks out instead of days (a Saturday start on Mondays).
      const weekday = weekdayOf(s);
      const period = s.frequency === 'weekly' ? 7 : 14;
      const first = aligned(startDay + ((weekday - dayOfWeek(startDay) + 7) % 7), period);
      return new RRule({ ...common, dtstart: new Date(first * MS_PER_DAY + time), freq: RRule.WEEKLY, interval: period / 7, byweekday: [RRULE_DAYS[weekday] ?? RRule.MO] });
    }
    case 'monthly': {
      const day = new Date(start).getUTCDate();
      // From the first of the month before `nearDay` (rrule skips a DTSTART the rule does not give).
      const near = nearDay === undefined ? null : new Date(nearDay * MS_PER_DAY);
      const monthStart = near === null ? start : Math.max(start, Date.UTC(near.getUTCFullYear(), near.getUTCMonth() - 1, 1) + time);
      const monthly = { ...common, dtstart: new Date(monthStart), freq: RRule.MONTHLY };
      return day <= 28 ? new RRule({ ...monthly, bymonthday: [day] }) : new RRule({ ...monthly, bymonthday: Array.from({ length: day - 27 }, (_, i) => 28 + i), bysetpos: [-1] });
    }
    case 'custom': {
      const first = aligned(startDay, s.intervalDays ?? 1);
      return new RRule({ ...common, dtstart: new Date(first * MS_PER_DAY + time), freq: RRule.DAILY, interval: s.intervalDays ?? 1 });
    }
  }
}

/** The local dates of the schedule's sessions from `fromDate` to `toDate`, both inclusive. */
export function occurrenceDates(s: RecurrenceSchedule, fromDate: string, toDate: string): string[] {
  const from = parseLocalDate(fromDate);
  const to = parseLocalDate(toDate);
  if (from === null || to === null || to < from) return [];
  return ruleOf(s, from)
    .between(new Date(from * MS_PER_DAY), new Date((to + 1) * MS_PER_DAY - 1), true)
    .map((date) => formatLocalDate(Math.floor(date.getTime() / MS_PER_DAY)));
}

/** The first session date strictly after `afterDate`, or null when the schedule has ended. */
export function nextOccurrenceAfter(s: RecurrenceSchedule, afterDate: string): string | null {
  const after = parseLocalDate(afterDate);
  if (after === null) return null;
  const next = ruleOf(s, after).after(new Date((after + 1) * MS_PER_DAY - 1), false);
  return next ? formatLocalDate(Math.floor(next.getTime() / MS_PER_DAY)) : null;
}

/** The instants of the session on a local date: the wall-clock time in the therapist's zone that day. */
export function occurrenceInterval(s: RecurrenceSchedule, date: string): { startsAt: string; endsAt: string } {
  const zone = timeZone(s.timezone);
  const day = parseLocalDate(date) ?? 0;
  const minutes = parseLocalTime(s.localTime) ?? 0;
  const start = localToInstantLenient(zone, day, minutes);
  return { startsAt: new Date(start).toISOString(), endsAt: new Date(start + s.durationMinutes * MS_PER_MINUTE).toISOString() };
}
