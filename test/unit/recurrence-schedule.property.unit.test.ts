import fc from 'fast-check';
import { DateTime } from 'luxon';
import { wallToInstant } from '../support/wall-clock-reference.js';
import { describe, expect, it } from 'vitest';
import { nextOccurrenceAfter, occurrenceDates, occurrenceInterval, type RecurrenceFrequency, type RecurrenceSchedule } from '../../domain/recurrence/recurrence-schedule.js';

/*
 * A recurrence's occurrences (domain/recurrence/recurrence-schedule.ts, expanded through rrule)
 * checked against an expansion written here from the rules as the product states them, sharing
 * nothing with the module or rrule:
 *
 *   - weekly / biweekly: the first session is the first such weekday on or after the start date,
 *     then every 7 / 14 days (plain arithmetic on day numbers);
 *   - custom: the start date, then every N days;
 *   - monthly: month by month from the start date's month, on the start date's day of the month,
 *     or on the month's last day when the month is shorter (the 29th–31st);
 *   - every session starts at the schedule's wall-clock time in the therapist's zone, whatever the
 *     DST offset that day: the instant comes from luxon's DateTime.fromObject, plus a look-back for
 *     an earlier instant showing the same wall time (a repeated autumn hour is taken at its first
 *     occurrence; luxon itself sometimes returns the second, e.g. east of UTC). A time the clock
 *     skips (spring forward) is the moment the clocks jump past it, as luxon gives it.
 *
 * Reproduce a failure with RECURRENCE_PROPERTY_SEED=<seed printed by fast-check> (and optionally
 * RECURRENCE_PROPERTY_PATH=<path>); RECURRENCE_PROPERTY_RUNS overrides the number of runs.
 */

const NUM_RUNS = Number(process.env.RECURRENCE_PROPERTY_RUNS ?? 300);
const FIXED_SEED = process.env.RECURRENCE_PROPERTY_SEED === undefined ? undefined : Number(process.env.RECURRENCE_PROPERTY_SEED);
const FIXED_PATH = process.env.RECURRENCE_PROPERTY_PATH;
const RUN_PARAMETERS: fc.Parameters<[Scenario]> = {
  numRuns: NUM_RUNS,
  examples: regressionExamples(),
  ...(FIXED_SEED === undefined ? {} : { seed: FIXED_SEED }),
  ...(FIXED_PATH === undefined ? {} : { path: FIXED_PATH }),
};

/** Cases always run first: what once went wrong, and the rules' corners named in the module. */
function regressionExamples(): [Scenario][] {
  const base: RecurrenceSchedule = { frequency: 'weekly', intervalDays: null, dayOfWeek: null, localTime: '09:00', durationMinutes: 50, startDate: '2026-03-07', endDate: null, timezone: 'America/New_York' };
  const examples: Scenario[] = [
    // Biweekly on Mondays from a Saturday: the first session is two days later, not nine (rrule counted weeks from WKST=MO).
    { schedule: { ...base, frequency: 'biweekly', dayOfWeek: 1 }, fromDate: '2026-03-01', toDate: '2026-04-30' },
    // 09:00 on Sundays across New York's spring forward (2026-03-08) and fall back (2026-11-01).
    { schedule: { ...base, dayOfWeek: 0 }, fromDate: '2026-03-01', toDate: '2026-11-30' },
    // 02:30 on New York's spring-forward Sunday does not exist: 03:30 EDT.
    { schedule: { ...base, dayOfWeek: 0, localTime: '02:30', startDate: '2026-03-01' }, fromDate: '2026-03-01', toDate: '2026-03-15' },
    // 02:30 on Madrid's fall-back Sunday (2026-10-25) happens twice: the first, in CEST (luxon gives the second).
    { schedule: { ...base, dayOfWeek: 0, localTime: '02:30', startDate: '2026-10-01', timezone: 'Europe/Madrid' }, fromDate: '2026-10-01', toDate: '2026-11-01' },
    // Monthly from January 31st of a leap year: Feb 29, Mar 31, Apr 30, … (the month's last day when shorter).
    { schedule: { ...base, frequency: 'monthly', startDate: '2024-01-31' }, fromDate: '2024-01-01', toDate: '2025-03-31' },
    // Monthly from the 29th of a common year's January: Feb 28.
    { schedule: { ...base, frequency: 'monthly', startDate: '2027-01-29', endDate: '2027-06-15' }, fromDate: '2027-01-01', toDate: '2027-12-31' },
    // Santiago moves at midnight: 00:30 on its spring-forward Sunday (2026-09-06) is 01:30.
    { schedule: { ...base, frequency: 'custom', intervalDays: 7, localTime: '00:30', startDate: '2026-08-30', timezone: 'America/Santiago' }, fromDate: '2026-08-30', toDate: '2026-09-20' },
  ];
  return examples.map((example) => [example]);
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Zones with DST on either hemisphere (Santiago moves at midnight), Buenos Aires (DST 2007–2009 only), Kolkata (+05:30, none). */
const ZONES = ['America/New_York', 'Europe/Madrid', 'Australia/Sydney', 'America/Santiago', 'America/Argentina/Buenos_Aires', 'Asia/Kolkata'] as const;

// ---------------------------------------------------------------------------------------------
// Calendar arithmetic of the reference (day numbers: days since 1970-01-01, UTC fields)
// ---------------------------------------------------------------------------------------------

function dayNumber(date: string): number {
  const [year, month, day] = date.split('-').map(Number);
  return Date.UTC(year ?? 0, (month ?? 1) - 1, day ?? 1) / DAY;
}

function dateOf(day: number): string {
  return new Date(day * DAY).toISOString().slice(0, 10);
}

/** 0 = Sunday … 6 = Saturday. */
function weekday(day: number): number {
  return new Date(day * DAY).getUTCDay();
}

function daysInMonth(year: number, month: number): number {
  // Day 0 of the next month is this month's last day.
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function minutesOf(time: string): number {
  const [hours, minutes] = time.split(':').map(Number);
  return (hours ?? 0) * 60 + (minutes ?? 0);
}

/** Every session date of the schedule, from its start, up to `lastDay` (a day number). */
function referenceDates(s: RecurrenceSchedule, lastDay: number): number[] {
  const start = dayNumber(s.startDate);
  const end = s.endDate === null ? lastDay : Math.min(lastDay, dayNumber(s.endDate));
  const days: number[] = [];
  switch (s.frequency) {
    case 'weekly':
    case 'biweekly': {
      const target = s.dayOfWeek ?? weekday(start);
      const step = s.frequency === 'weekly' ? 7 : 14;
      for (let day = start + ((target - weekday(start) + 7) % 7); day <= end; day += step) days.push(day);
      return days;
    }
    case 'custom':
      for (let day = start; day <= end; day += s.intervalDays ?? 1) days.push(day);
      return days;
    case 'monthly': {
      const [startYear = 0, startMonth = 1, wanted = 1] = s.startDate.split('-').map(Number);
      for (let index = 0; ; index++) {
        const year = startYear + Math.floor((startMonth - 1 + index) / 12);
        const month = ((startMonth - 1 + index) % 12) + 1;
        const day = Date.UTC(year, month - 1, Math.min(wanted, daysInMonth(year, month))) / DAY;
        if (day > end) return days;
        days.push(day);
      }
    }
  }
}


// ---------------------------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------------------------

interface Scenario {
  readonly schedule: RecurrenceSchedule;
  readonly fromDate: string;
  readonly toDate: string;
}

/** A start date in the years given (1995–2045 holds leap years 1996, 2000, …, 2044), biased to the last days of the month. */
const startDate = (years: { min: number; max: number }) =>
  fc
    .record({
      year: fc.integer(years),
      month: fc.integer({ min: 1, max: 12 }),
      day: fc.oneof(fc.integer({ min: 1, max: 31 }), fc.integer({ min: 28, max: 31 })),
    })
    .map(({ year, month, day }) => dateOf(Date.UTC(year, month - 1, Math.min(day, daysInMonth(year, month))) / DAY));

const frequency = fc.constantFrom<RecurrenceFrequency>('weekly', 'biweekly', 'monthly', 'custom');

/**
 * Where each zone's clocks change: the weekdays and local hours of its gaps and repeated hours
 * (New York 02:00 / 01:00, Madrid and Sydney 02:00, on Sundays; Santiago and Buenos Aires at
 * midnight, so Sunday 00:xx is skipped and Saturday 23:xx repeated), and the years to look in.
 */
const CLOCK_CHANGES: Readonly<Record<(typeof ZONES)[number], { readonly weekdays: readonly number[]; readonly hours: readonly number[]; readonly years: { min: number; max: number } }>> = {
  'America/New_York': { weekdays: [0], hours: [1, 2], years: { min: 1995, max: 2045 } },
  'Europe/Madrid': { weekdays: [0], hours: [2], years: { min: 1995, max: 2045 } },
  'Australia/Sydney': { weekdays: [0], hours: [2], years: { min: 1995, max: 2045 } },
  'America/Santiago': { weekdays: [0, 6], hours: [0, 23], years: { min: 1995, max: 2045 } },
  'America/Argentina/Buenos_Aires': { weekdays: [0, 6], hours: [0, 23], years: { min: 2007, max: 2009 } },
  'Asia/Kolkata': { weekdays: [0, 1, 2, 3, 4, 5, 6], hours: [0, 2, 9, 23], years: { min: 1995, max: 2045 } },
};

interface RawScenario {
  readonly frequency: RecurrenceFrequency;
  readonly weekday: number | null;
  readonly intervalDays: number;
  readonly minute: number;
  readonly duration: number;
  readonly timezone: (typeof ZONES)[number];
  readonly startDate: string;
  readonly endAfterDays: number | null;
  readonly fromOffset: number;
  readonly rangeDays: number;
}

const ranges = {
  duration: fc.integer({ min: 15, max: 180 }),
  endAfterDays: fc.option(fc.integer({ min: 0, max: 900 }), { nil: null }),
  fromOffset: fc.integer({ min: -60, max: 700 }),
  rangeDays: fc.integer({ min: 0, max: 500 }),
};

/** Any rule, zone, time of day and start date. */
const anySchedule: fc.Arbitrary<RawScenario> = fc.record({
  frequency,
  weekday: fc.option(fc.integer({ min: 0, max: 6 }), { nil: null }),
  intervalDays: fc.integer({ min: 1, max: 45 }),
  minute: fc.integer({ min: 0, max: 1439 }),
  timezone: fc.constantFrom(...ZONES),
  startDate: startDate({ min: 1995, max: 2045 }),
  ...ranges,
});

/** Sessions every week or two on the weekday and at the hour a zone changes its clocks: they meet its gaps and repeated hours. */
const acrossClockChanges: fc.Arbitrary<RawScenario> = fc.constantFrom(...ZONES).chain((timezone) => {
  const change = CLOCK_CHANGES[timezone];
  return fc.record({
    frequency: fc.constantFrom<RecurrenceFrequency>('weekly', 'biweekly', 'custom'),
    weekday: fc.constantFrom(...change.weekdays),
    intervalDays: fc.constantFrom(7, 14),
    minute: fc.tuple(fc.constantFrom(...change.hours), fc.integer({ min: 0, max: 59 })).map(([hour, minute]) => hour * 60 + minute),
    timezone: fc.constant(timezone),
    startDate: startDate(change.years),
    ...ranges,
  });
});

function scenarioOf(r: RawScenario): Scenario {
  const hhmm = `${String(Math.floor(r.minute / 60)).padStart(2, '0')}:${String(r.minute % 60).padStart(2, '0')}`;
  // Custom schedules on a clock-change weekday start on that weekday, so every 7 or 14 days meets it.
  const given = dayNumber(r.startDate);
  const start = r.frequency === 'custom' && r.weekday !== null ? given + ((r.weekday - weekday(given) + 7) % 7) : given;
  const schedule: RecurrenceSchedule = {
    frequency: r.frequency,
    intervalDays: r.frequency === 'custom' ? r.intervalDays : null,
    dayOfWeek: r.frequency === 'weekly' || r.frequency === 'biweekly' ? r.weekday : null,
    localTime: hhmm,
    // A session ends on the day it starts (what validation asks of a schedule).
    durationMinutes: Math.max(1, Math.min(r.duration, 1440 - r.minute)),
    startDate: dateOf(start),
    endDate: r.endAfterDays === null ? null : dateOf(start + r.endAfterDays),
    timezone: r.timezone,
  };
  const from = start + r.fromOffset;
  return { schedule, fromDate: dateOf(from), toDate: dateOf(from + r.rangeDays) };
}

const scenario: fc.Arbitrary<Scenario> = fc.oneof(anySchedule, acrossClockChanges).map(scenarioOf);

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

describe('a recurrence schedule, for random rules, zones and date ranges', () => {
  it('has the occurrence dates of the plain calendar expansion, within its start and end dates and the range asked for, strictly increasing', () => {
    fc.assert(
      fc.property(scenario, ({ schedule, fromDate, toDate }) => {
        const from = dayNumber(fromDate);
        const to = dayNumber(toDate);
        const expected = referenceDates(schedule, to).filter((day) => day >= from).map(dateOf);
        const dates = occurrenceDates(schedule, fromDate, toDate);
        expect(dates).toEqual(expected);
        for (const [index, date] of dates.entries()) {
          expect(date >= schedule.startDate && date >= fromDate && date <= toDate).toBe(true);
          if (schedule.endDate !== null) expect(date <= schedule.endDate).toBe(true);
          const previous = dates[index - 1];
          if (previous !== undefined) expect(date > previous).toBe(true);
        }
      }),
      RUN_PARAMETERS,
    );
  });

  it('starts every occurrence at the schedule’s wall-clock time in the zone (09:00 stays 09:00 across DST), and lasts its duration', () => {
    fc.assert(
      fc.property(scenario, ({ schedule, fromDate, toDate }) => {
        const minute = minutesOf(schedule.localTime);
        for (const date of occurrenceDates(schedule, fromDate, toDate)) {
          const { startsAt, endsAt } = occurrenceInterval(schedule, date);
          const start = Date.parse(startsAt);
          const expected = wallToInstant(schedule.timezone, date, minute);
          expect({ date, startsAt }).toEqual({ date, startsAt: new Date(expected.ms).toISOString() });
          expect(Date.parse(endsAt) - start).toBe(schedule.durationMinutes * MINUTE);
          const local = DateTime.fromMillis(start, { zone: schedule.timezone });
          if (expected.exists) {
            // Read back in the zone, the instant shows the schedule's date and time.
            expect({ date: local.toISODate(), time: local.toFormat('HH:mm') }).toEqual({ date, time: schedule.localTime });
          } else {
            // Inside a spring-forward gap: the moment the clocks jump past the time, later the same day.
            expect(local.toISODate()).toBe(date);
            expect(local.hour * 60 + local.minute).toBeGreaterThan(minute);
            expect(local.hour * 60 + local.minute - minute).toBeLessThanOrEqual(60);
          }
        }
      }),
      RUN_PARAMETERS,
    );
  });

  it('names as the next occurrence after a date the first date of the expansion after it (null once the end date is behind)', () => {
    fc.assert(
      fc.property(scenario, ({ schedule, fromDate }) => {
        const after = dayNumber(fromDate);
        // Far enough for the sparsest schedule (custom every 45 days, or a first session up to 66 days past `after`) to have one more.
        const expected = referenceDates(schedule, after + 120).find((day) => day > after);
        expect(nextOccurrenceAfter(schedule, fromDate)).toBe(expected === undefined ? null : dateOf(expected));
      }),
      RUN_PARAMETERS,
    );
  });
});
