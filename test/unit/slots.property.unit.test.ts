import fc from 'fast-check';
import { DateTime } from 'luxon';
import { wallToInstant as referenceInstant } from '../support/wall-clock-reference.js';
import { describe, expect, it } from 'vitest';
import type {
  AvailabilityFacts,
  BookingPolicies,
  BusyInterval,
  DateRange,
  ExceptionFact,
  RuleFact,
  Slot,
  SlotCalendar,
  SlotStatus,
} from '../../domain/availability/availability-types.js';
import { computeSlots } from '../../domain/availability/slots.js';

/*
 * computeSlots checked against a deliberately naive reference model of its doc comment.
 *
 * The model shares nothing with domain/availability beyond the types: open time is a 1440-entry
 * boolean array per local date (rules of the weekday, minus blocking exceptions, plus extra
 * availability), slots are laid out on its maximal runs, and wall-clock times become instants through
 * luxon's DateTime.fromObject plus a brute-force look-back for an earlier occurrence of the same wall
 * time (luxon itself returns the *second* occurrence in some repeated hours, e.g. Madrid in October).
 *
 * Reproduce a failure with SLOTS_PROPERTY_SEED=<seed printed by fast-check> (and optionally
 * SLOTS_PROPERTY_PATH=<path>); SLOTS_PROPERTY_RUNS overrides the number of runs.
 */

const NUM_RUNS = Number(process.env.SLOTS_PROPERTY_RUNS ?? 250);
const FIXED_SEED = process.env.SLOTS_PROPERTY_SEED === undefined ? undefined : Number(process.env.SLOTS_PROPERTY_SEED);
const FIXED_PATH = process.env.SLOTS_PROPERTY_PATH;
const RUN_PARAMETERS: fc.Parameters<[Scenario]> = {
  numRuns: NUM_RUNS,
  ...(FIXED_SEED === undefined ? {} : { seed: FIXED_SEED }),
  ...(FIXED_PATH === undefined ? {} : { path: FIXED_PATH }),
};

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const DAY_MINUTES = 1440;

/**
 * The product's zones, plus two far east of UTC (a day's local midnight there is on the previous UTC
 * date), one of them with a 30-minute DST shift.
 */
const ZONES = [
  'America/Santiago',
  'Europe/Madrid',
  'America/New_York',
  'America/Argentina/Buenos_Aires',
  'Australia/Sydney',
  'Australia/Lord_Howe',
] as const;

/** Per zone, local dates on or next to a DST transition (Buenos Aires observed DST in 2007–2009). */
const TRANSITION_DATES: Readonly<Record<(typeof ZONES)[number], readonly string[]>> = {
  'America/Santiago': ['2025-04-05', '2025-09-06', '2026-04-04', '2026-09-05', '2027-04-03', '2027-09-04'],
  'Europe/Madrid': ['2025-03-30', '2025-10-26', '2026-03-29', '2026-10-25', '2027-03-28', '2027-10-31'],
  'America/New_York': ['2025-03-09', '2025-11-02', '2026-03-08', '2026-11-01', '2027-03-14', '2027-11-07'],
  'America/Argentina/Buenos_Aires': ['2007-12-29', '2008-03-15', '2008-10-18', '2009-03-14'],
  'Australia/Sydney': ['2025-04-06', '2025-10-05', '2026-04-05', '2026-10-04', '2027-04-04', '2027-10-03'],
  'Australia/Lord_Howe': ['2025-04-06', '2025-10-05', '2026-04-05', '2026-10-04', '2027-04-04', '2027-10-03'],
};

// ---------------------------------------------------------------------------------------------
// Reference model
// ---------------------------------------------------------------------------------------------

interface Scenario {
  readonly facts: AvailabilityFacts;
  readonly range: DateRange;
  readonly now: Date;
}

interface ModelSlot {
  readonly date: string;
  readonly minute: number;
  readonly start: number;
  readonly end: number;
  readonly status: SlotStatus;
}

function minutesOf(time: string): number {
  const [hours, minutes] = time.split(':').map(Number);
  return (hours ?? 0) * 60 + (minutes ?? 0);
}

function hhmm(minute: number): string {
  return `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;
}

/** Every local date of the inclusive range. */
function datesOf(range: DateRange): string[] {
  const dates: string[] = [];
  const last = DateTime.fromISO(range.endDate, { zone: 'utc' });
  for (let day = DateTime.fromISO(range.startDate, { zone: 'utc' }); day <= last; day = day.plus({ days: 1 })) {
    dates.push(day.toISODate() ?? '');
  }
  return dates;
}

/** 0 = Sunday … 6 = Saturday. */
function weekdayOf(date: string): number {
  return DateTime.fromISO(date, { zone: 'utc' }).weekday % 7;
}

function mark(flags: boolean[], startTime: string, endTime: string): void {
  for (let minute = minutesOf(startTime); minute < minutesOf(endTime); minute++) flags[minute] = true;
}

interface DayFlags {
  readonly blocked: boolean[];
  readonly extra: boolean[];
  readonly open: boolean[];
}

/** Minute by minute: open = (some weekly rule of the weekday ∧ no blocking exception) ∨ some extra availability. */
function dayFlags(facts: Pick<AvailabilityFacts, 'rules' | 'exceptions'>, date: string): DayFlags {
  const weekly = new Array<boolean>(DAY_MINUTES).fill(false);
  const blocked = new Array<boolean>(DAY_MINUTES).fill(false);
  const extra = new Array<boolean>(DAY_MINUTES).fill(false);
  const weekday = weekdayOf(date);
  for (const rule of facts.rules) if (rule.dayOfWeek === weekday) mark(weekly, rule.startTime, rule.endTime);
  for (const exception of facts.exceptions) {
    if (exception.date !== date) continue;
    const target = exception.isAvailable ? extra : blocked;
    if (exception.allDay) mark(target, '00:00', '24:00');
    else if (exception.startTime !== null && exception.endTime !== null) mark(target, exception.startTime, exception.endTime);
  }
  const open = weekly.map((isWeekly, minute) => (isWeekly && !blocked[minute]) || extra[minute] === true);
  return { blocked, extra, open };
}

/** Maximal runs of open minutes, [start, end). */
function openRuns(open: readonly boolean[]): [number, number][] {
  const runs: [number, number][] = [];
  let runStart: number | null = null;
  for (let minute = 0; minute <= DAY_MINUTES; minute++) {
    const isOpen = minute < DAY_MINUTES && open[minute] === true;
    if (isOpen && runStart === null) runStart = minute;
    if (!isOpen && runStart !== null) {
      runs.push([runStart, minute]);
      runStart = null;
    }
  }
  return runs;
}

/** The reference instant, or null if the clock never shows that wall time (DST gap). */
function wallToInstant(zone: string, date: string, minute: number): number | null {
  const reference = referenceInstant(zone, date, minute);
  return reference.exists ? reference.ms : null;
}

function overlaps(aStart: number, aEnd: number, bStart: number, bEnd: number): boolean {
  return aStart < bEnd && bStart < aEnd;
}

function blocksAt(interval: BusyInterval, nowMs: number): boolean {
  return interval.kind === 'session' || interval.expiresAt === null || Date.parse(interval.expiresAt) > nowMs;
}

function stepOf(policies: BookingPolicies): number {
  return policies.slotStepMinutes ?? policies.bufferBeforeMinutes + policies.sessionDurationMinutes + policies.bufferAfterMinutes;
}

function modelStatus(facts: AvailabilityFacts, start: number, end: number, nowMs: number): SlotStatus {
  const { bufferBeforeMinutes, bufferAfterMinutes, minAdvanceBookingHours, maxAdvanceBookingDays } = facts.policies;
  const before = bufferBeforeMinutes * MINUTE;
  const after = bufferAfterMinutes * MINUTE;
  const live = facts.busy.filter((interval) => blocksAt(interval, nowMs));
  const hits = (interval: BusyInterval): boolean => overlaps(start, end, Date.parse(interval.startsAt), Date.parse(interval.endsAt));
  if (live.some((interval) => interval.kind === 'session' && hits(interval))) return 'booked';
  if (live.some((interval) => interval.kind === 'hold' && hits(interval))) return 'locked';
  const crowds = live.some((interval) =>
    overlaps(start - before, end + after, Date.parse(interval.startsAt) - before, Date.parse(interval.endsAt) + after),
  );
  if (crowds) return 'unavailable';
  if (start < nowMs + minAdvanceBookingHours * HOUR) return 'unavailable';
  if (start > nowMs + maxAdvanceBookingDays * DAY) return 'unavailable';
  return 'available';
}

/** Where slots start and end, before any status: what depends only on rules, exceptions and policies. */
function modelSlotGrid(facts: Pick<AvailabilityFacts, 'policies' | 'rules' | 'exceptions'>, range: DateRange): Omit<ModelSlot, 'status'>[] {
  const { sessionDurationMinutes: duration, bufferBeforeMinutes: before, bufferAfterMinutes: after, timezone } = facts.policies;
  const step = stepOf(facts.policies);
  const grid: Omit<ModelSlot, 'status'>[] = [];
  for (const date of datesOf(range)) {
    for (const [runStart, runEnd] of openRuns(dayFlags(facts, date).open)) {
      for (let minute = runStart + before; minute + duration + after <= runEnd; minute += step) {
        const start = wallToInstant(timezone, date, minute);
        if (start === null) continue;
        grid.push({ date, minute, start, end: start + duration * MINUTE });
      }
    }
  }
  return grid;
}

function modelSlots({ facts, range, now }: Scenario): ModelSlot[] {
  return modelSlotGrid(facts, range).map((slot) => ({ ...slot, status: modelStatus(facts, slot.start, slot.end, now.getTime()) }));
}

function modelCalendar(scenario: Scenario): SlotCalendar {
  const slots = modelSlots(scenario);
  return {
    timezone: scenario.facts.policies.timezone,
    days: datesOf(scenario.range).map((date) => ({
      date,
      slots: slots
        .filter((slot) => slot.date === date)
        .map((slot): Slot => ({
          time: hhmm(slot.minute),
          startsAt: new Date(slot.start).toISOString(),
          endsAt: new Date(slot.end).toISOString(),
          status: slot.status,
        })),
    })),
  };
}

// ---------------------------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------------------------

/** A local time range on 5-minute marks, [start, end) with start < end ≤ 24:00. */
const timeRangeArb = fc
  .tuple(fc.integer({ min: 0, max: 287 }), fc.integer({ min: 1, max: 288 }))
  .map(([start, length]) => {
    const startMinute = start * 5;
    const endMinute = Math.min(DAY_MINUTES, startMinute + length * 5);
    return { startTime: hhmm(startMinute), endTime: endMinute === DAY_MINUTES ? '24:00' : hhmm(endMinute) };
  });

/** 0–3 blocks per weekday, possibly overlapping or touching. */
const weeklyRulesArb: fc.Arbitrary<RuleFact[]> = fc
  .tuple(...[0, 1, 2, 3, 4, 5, 6].map((dayOfWeek) => fc.array(timeRangeArb.map((times) => ({ dayOfWeek, ...times })), { maxLength: 3 })))
  .map((days) => days.flat());

/** A random date, or (as often) one whose 1–10-day range is likely to include one of the zone's DST transitions. */
const dateArb = (timezone: (typeof ZONES)[number]): fc.Arbitrary<string> =>
  fc.oneof(
    fc.date({ min: new Date('2025-01-01T00:00:00Z'), max: new Date('2027-12-31T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
    fc.tuple(fc.constantFrom(...TRANSITION_DATES[timezone]), fc.integer({ min: -9, max: 1 })).map(([date, shift]) => shiftDate(date, shift)),
  );

function shiftDate(date: string, days: number): string {
  return DateTime.fromISO(date, { zone: 'utc' }).plus({ days }).toISODate() ?? date;
}

/** Buffers (and steps) mostly on 5-minute marks, like the rules, so slot starts often land exactly on notice/horizon/busy edges. */
const bufferArb = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 6 }).map((n) => n * 5), fc.integer({ min: 0, max: 30 }));

const policiesArb = (timezone: string): fc.Arbitrary<BookingPolicies> =>
  fc.record({
    sessionDurationMinutes: fc.integer({ min: 6, max: 24 }).map((n) => n * 5),
    bufferBeforeMinutes: bufferArb,
    bufferAfterMinutes: bufferArb,
    minAdvanceBookingHours: fc.integer({ min: 0, max: 48 }),
    maxAdvanceBookingDays: fc.integer({ min: 1, max: 90 }),
    timezone: fc.constant(timezone),
    slotStepMinutes: fc.oneof(fc.constant(null), fc.integer({ min: 1, max: 24 }).map((n) => n * 5), fc.integer({ min: 5, max: 120 })),
  });

function exceptionArb(dates: readonly string[]): fc.Arbitrary<ExceptionFact> {
  const date = fc.constantFrom(...dates);
  return fc.oneof(
    date.map((d): ExceptionFact => ({ date: d, allDay: true, startTime: null, endTime: null, isAvailable: false })),
    fc.tuple(date, timeRangeArb).map(([d, t]): ExceptionFact => ({ date: d, allDay: false, ...t, isAvailable: false })),
    fc.tuple(date, timeRangeArb).map(([d, t]): ExceptionFact => ({ date: d, allDay: false, ...t, isAvailable: true })),
  );
}

/** A busy interval as generated: placed relative to the range, a hold's expiry relative to `now`. */
interface BusyDraft {
  readonly startOffset: number;
  readonly length: number;
  readonly kind: 'session' | 'hold';
  readonly expiresAfterNow: number | null;
}

/** On 5-minute marks, like the rules, so busy edges often touch slot edges exactly. Holds may expire before, at or after now. */
const busyDraftArb: fc.Arbitrary<BusyDraft> = fc.record({
  startOffset: fc.integer({ min: -24 * 12, max: 12 * 24 * 12 }).map((fives) => fives * 5 * MINUTE),
  length: fc.integer({ min: 1, max: 48 }).map((fives) => fives * 5 * MINUTE),
  kind: fc.constantFrom('session' as const, 'hold' as const),
  expiresAfterNow: fc.oneof(fc.constant(null), fc.constant(0), fc.integer({ min: -24, max: 24 }).map((fives) => fives * 5 * MINUTE)),
});

/** `now` relative to midnight UTC of the range's first date: on 5-minute marks or anywhere. */
const nowOffsetArb = fc.oneof(
  fc.integer({ min: -5 * 24 * 12, max: 8 * 24 * 12 }).map((fives) => fives * 5 * MINUTE),
  fc.integer({ min: -5 * DAY, max: 8 * DAY }),
);

/**
 * Optionally move `now` so that one slot of the grid starts exactly at now + notice or now + horizon
 * (a random instant almost never does), to pin the inclusive/exclusive ends of the booking window.
 */
const pinArb = fc.option(fc.record({ edge: fc.constantFrom('notice' as const, 'horizon' as const), slot: fc.nat() }), { nil: null, freq: 2 });

const scenarioArb: fc.Arbitrary<Scenario> = fc
  .constantFrom(...ZONES)
  .chain((timezone) =>
    fc.record({ timezone: fc.constant(timezone), startDate: dateArb(timezone), days: fc.integer({ min: 1, max: 10 }) }).chain(({ startDate, days }) => {
      const exceptionDates = datesOf({ startDate: shiftDate(startDate, -1), endDate: shiftDate(startDate, days) });
      return fc.record({
        range: fc.constant<DateRange>({ startDate, endDate: shiftDate(startDate, days - 1) }),
        policies: policiesArb(timezone),
        rules: weeklyRulesArb,
        exceptions: fc.array(exceptionArb(exceptionDates), { maxLength: 8 }),
        busy: fc.array(busyDraftArb, { maxLength: 15 }),
        nowOffset: nowOffsetArb,
        pin: pinArb,
      });
    }),
  )
  .map(({ range, policies, rules, exceptions, busy, nowOffset, pin }): Scenario => {
    const anchor = Date.parse(`${range.startDate}T00:00:00Z`);
    let now = anchor + nowOffset;
    if (pin !== null) {
      const grid = modelSlotGrid({ policies, rules, exceptions }, range);
      const target = grid[pin.slot % Math.max(1, grid.length)];
      if (target) now = target.start - (pin.edge === 'notice' ? policies.minAdvanceBookingHours * HOUR : policies.maxAdvanceBookingDays * DAY);
    }
    const facts: AvailabilityFacts = {
      policies,
      rules,
      exceptions,
      busy: busy.map((draft) => ({
        startsAt: new Date(anchor + draft.startOffset).toISOString(),
        endsAt: new Date(anchor + draft.startOffset + draft.length).toISOString(),
        kind: draft.kind,
        expiresAt: draft.kind === 'hold' && draft.expiresAfterNow !== null ? new Date(now + draft.expiresAfterNow).toISOString() : null,
      })),
    };
    return { facts, range, now: new Date(now) };
  });

// ---------------------------------------------------------------------------------------------
// Helpers over computeSlots' output
// ---------------------------------------------------------------------------------------------

interface DatedSlot extends Slot {
  readonly date: string;
}

function availableSlots(calendar: SlotCalendar): DatedSlot[] {
  return calendar.days.flatMap((day) => day.slots.filter((slot) => slot.status === 'available').map((slot) => ({ ...slot, date: day.date })));
}

/** Local minutes the padded slot [start − before, start + duration + after) covers. */
function paddedMinutes(slot: Slot, policies: BookingPolicies): number[] {
  const first = minutesOf(slot.time) - policies.bufferBeforeMinutes;
  const last = minutesOf(slot.time) + policies.sessionDurationMinutes + policies.bufferAfterMinutes;
  const minutes: number[] = [];
  for (let minute = first; minute < last; minute++) minutes.push(minute);
  return minutes;
}

/** dayFlags memoised per date for one scenario. */
function flagsByDate(facts: AvailabilityFacts): (date: string) => DayFlags {
  const known = new Map<string, DayFlags>();
  return (date) => {
    let flags = known.get(date);
    if (!flags) known.set(date, (flags = dayFlags(facts, date)));
    return flags;
  };
}

function describeScenario(scenario: Scenario): string {
  return JSON.stringify({ ...scenario, now: scenario.now.toISOString() });
}

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

describe('computeSlots (property-based, against a naive reference model)', () => {
  it('never offers a slot whose buffered interval overlaps a session or a live hold padded by the same buffers', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const { facts, now } = scenario;
        const before = facts.policies.bufferBeforeMinutes * MINUTE;
        const after = facts.policies.bufferAfterMinutes * MINUTE;
        const live = facts.busy.filter((interval) => blocksAt(interval, now.getTime()));
        const violations: string[] = [];
        for (const slot of availableSlots(computeSlots(facts, scenario.range, now))) {
          const start = Date.parse(slot.startsAt);
          const end = Date.parse(slot.endsAt);
          for (const interval of live) {
            const clash = overlaps(start - before, end + after, Date.parse(interval.startsAt) - before, Date.parse(interval.endsAt) + after);
            if (clash) violations.push(`${slot.date} ${slot.time} (${slot.startsAt}) vs ${JSON.stringify(interval)}`);
          }
        }
        expect(violations).toEqual([]);
      }),
      RUN_PARAMETERS,
    );
  });

  it("offers only slots that, buffers included, lie in the day's open time (rules − blocking exceptions + extra availability) and at a real wall-clock time", () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const { facts } = scenario;
        const zone = facts.policies.timezone;
        const flags = flagsByDate(facts);
        const violations: string[] = [];
        for (const slot of availableSlots(computeSlots(facts, scenario.range, scenario.now))) {
          const { open } = flags(slot.date);
          const closed = paddedMinutes(slot, facts.policies).filter((minute) => open[minute] !== true);
          if (closed.length > 0) violations.push(`${slot.date} ${slot.time}: padded minutes ${closed.map(hhmm).join(',')} are not open`);
          const wall = DateTime.fromISO(slot.startsAt, { zone }).toFormat('yyyy-MM-dd HH:mm');
          if (wall !== `${slot.date} ${slot.time}`) violations.push(`${slot.date} ${slot.time}: startsAt ${slot.startsAt} is ${wall} on the wall clock`);
          const length = Date.parse(slot.endsAt) - Date.parse(slot.startsAt);
          if (length !== facts.policies.sessionDurationMinutes * MINUTE) violations.push(`${slot.date} ${slot.time}: lasts ${length / MINUTE} min`);
        }
        expect(violations).toEqual([]);
      }),
      RUN_PARAMETERS,
    );
  });

  it('offers no slot whose buffered interval touches time a blocking exception removes, unless extra availability re-opens it', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const { facts } = scenario;
        const flags = flagsByDate(facts);
        const violations: string[] = [];
        for (const slot of availableSlots(computeSlots(facts, scenario.range, scenario.now))) {
          const { blocked, extra } = flags(slot.date);
          const inBlock = paddedMinutes(slot, facts.policies).filter((minute) => blocked[minute] === true && extra[minute] !== true);
          if (inBlock.length > 0) violations.push(`${slot.date} ${slot.time}: padded minutes ${inBlock.map(hhmm).join(',')} are blocked`);
        }
        expect(violations).toEqual([]);
      }),
      RUN_PARAMETERS,
    );
  });

  it('offers no slot starting before now + minimum notice or after now + maximum horizon (24-hour days)', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const { facts, now } = scenario;
        const earliest = now.getTime() + facts.policies.minAdvanceBookingHours * HOUR;
        const latest = now.getTime() + facts.policies.maxAdvanceBookingDays * DAY;
        const outside = availableSlots(computeSlots(facts, scenario.range, now))
          .filter((slot) => Date.parse(slot.startsAt) < earliest || Date.parse(slot.startsAt) > latest)
          .map((slot) => `${slot.date} ${slot.time} (${slot.startsAt})`);
        expect(outside).toEqual([]);
      }),
      RUN_PARAMETERS,
    );
  });

  it('offers exactly the slot starts the reference model finds available', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const actual = availableSlots(computeSlots(scenario.facts, scenario.range, scenario.now)).map((slot) => slot.startsAt);
        const expected = modelSlots(scenario)
          .filter((slot) => slot.status === 'available')
          .map((slot) => new Date(slot.start).toISOString());
        expect(new Set(actual).size, 'no duplicated available instants').toBe(actual.length);
        expect([...actual].sort(), describeScenario(scenario)).toEqual([...expected].sort());
      }),
      RUN_PARAMETERS,
    );
  });

  it('returns the same calendar as the reference model, slot by slot: every date, wall time, instants and status (booked > locked > unavailable > available)', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        expect(computeSlots(scenario.facts, scenario.range, scenario.now), describeScenario(scenario)).toEqual(modelCalendar(scenario));
      }),
      RUN_PARAMETERS,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// DST examples
// ---------------------------------------------------------------------------------------------

function dstFacts(timezone: string, rules: RuleFact[], busy: BusyInterval[] = []): AvailabilityFacts {
  return {
    policies: {
      sessionDurationMinutes: 30,
      bufferBeforeMinutes: 0,
      bufferAfterMinutes: 0,
      minAdvanceBookingHours: 0,
      maxAdvanceBookingDays: 90,
      timezone,
      slotStepMinutes: 30,
    },
    rules,
    exceptions: [],
    busy,
  };
}

function slotsOn(facts: AvailabilityFacts, date: string, now: string): { time: string; startsAt: string; endsAt: string; status: SlotStatus }[] {
  const day = computeSlots(facts, { startDate: date, endDate: date }, new Date(now)).days[0];
  return (day?.slots ?? []).map(({ time, startsAt, endsAt, status }) => ({ time, startsAt, endsAt, status }));
}

const SUNDAY = 0;
const SATURDAY = 6;

describe('computeSlots across DST transitions', () => {
  it('Europe/Madrid spring forward (2026-03-29, 02:00→03:00): no slot starts in the skipped hour, and the slots around it have the right UTC instants', () => {
    const facts = dstFacts('Europe/Madrid', [{ dayOfWeek: SUNDAY, startTime: '01:00', endTime: '05:00' }]);
    expect(slotsOn(facts, '2026-03-29', '2026-03-01T00:00:00Z')).toEqual([
      { time: '01:00', startsAt: '2026-03-29T00:00:00.000Z', endsAt: '2026-03-29T00:30:00.000Z', status: 'available' },
      { time: '01:30', startsAt: '2026-03-29T00:30:00.000Z', endsAt: '2026-03-29T01:00:00.000Z', status: 'available' },
      // 02:00 and 02:30 never happen on the wall clock: no slot.
      { time: '03:00', startsAt: '2026-03-29T01:00:00.000Z', endsAt: '2026-03-29T01:30:00.000Z', status: 'available' },
      { time: '03:30', startsAt: '2026-03-29T01:30:00.000Z', endsAt: '2026-03-29T02:00:00.000Z', status: 'available' },
      { time: '04:00', startsAt: '2026-03-29T02:00:00.000Z', endsAt: '2026-03-29T02:30:00.000Z', status: 'available' },
      { time: '04:30', startsAt: '2026-03-29T02:30:00.000Z', endsAt: '2026-03-29T03:00:00.000Z', status: 'available' },
    ]);
  });

  it('Europe/Madrid spring forward with the default step (50 min + 10 after): the grid stays on the wall clock, so the 02:00 slot is simply missing', () => {
    const facts = dstFacts('Europe/Madrid', [{ dayOfWeek: SUNDAY, startTime: '01:00', endTime: '05:00' }]);
    const policies: BookingPolicies = { ...facts.policies, sessionDurationMinutes: 50, bufferAfterMinutes: 10, slotStepMinutes: null };
    expect(slotsOn({ ...facts, policies }, '2026-03-29', '2026-03-01T00:00:00Z').map(({ time, startsAt, endsAt }) => `${time} ${startsAt}–${endsAt}`)).toEqual([
      '01:00 2026-03-29T00:00:00.000Z–2026-03-29T00:50:00.000Z',
      '03:00 2026-03-29T01:00:00.000Z–2026-03-29T01:50:00.000Z',
      '04:00 2026-03-29T02:00:00.000Z–2026-03-29T02:50:00.000Z',
    ]);
  });

  it('Europe/Madrid fall back (2026-10-25, 03:00→02:00): a repeated wall time is offered once, at its first occurrence (CEST), with endsAt = startsAt + duration', () => {
    const facts = dstFacts('Europe/Madrid', [{ dayOfWeek: SUNDAY, startTime: '01:00', endTime: '04:00' }]);
    expect(slotsOn(facts, '2026-10-25', '2026-10-01T00:00:00Z')).toEqual([
      { time: '01:00', startsAt: '2026-10-24T23:00:00.000Z', endsAt: '2026-10-24T23:30:00.000Z', status: 'available' },
      { time: '01:30', startsAt: '2026-10-24T23:30:00.000Z', endsAt: '2026-10-25T00:00:00.000Z', status: 'available' },
      { time: '02:00', startsAt: '2026-10-25T00:00:00.000Z', endsAt: '2026-10-25T00:30:00.000Z', status: 'available' },
      { time: '02:30', startsAt: '2026-10-25T00:30:00.000Z', endsAt: '2026-10-25T01:00:00.000Z', status: 'available' },
      // 01:00Z–02:00Z is the second 02:00–03:00 (CET): no slot starts there.
      { time: '03:00', startsAt: '2026-10-25T02:00:00.000Z', endsAt: '2026-10-25T02:30:00.000Z', status: 'available' },
      { time: '03:30', startsAt: '2026-10-25T02:30:00.000Z', endsAt: '2026-10-25T03:00:00.000Z', status: 'available' },
    ]);
  });

  it('Europe/Madrid fall back: a session during the second 02:00–03:00 (CET) books no slot of the first occurrence, because status compares absolute instants', () => {
    const session: BusyInterval = { startsAt: '2026-10-25T01:00:00.000Z', endsAt: '2026-10-25T02:00:00.000Z', kind: 'session', expiresAt: null };
    const facts = dstFacts('Europe/Madrid', [{ dayOfWeek: SUNDAY, startTime: '02:00', endTime: '04:00' }], [session]);
    expect(slotsOn(facts, '2026-10-25', '2026-10-01T00:00:00Z').map(({ time, status }) => `${time} ${status}`)).toEqual([
      '02:00 available',
      '02:30 available',
      '03:00 available',
      '03:30 available',
    ]);
    const buffered = { ...facts, policies: { ...facts.policies, bufferAfterMinutes: 10 } };
    // With 10 minutes after each, 02:30 (00:30Z–01:00Z) ends too close to the 01:00Z session, and
    // 03:00 (02:00Z) starts too close to its end; the step stays 30 minutes.
    expect(slotsOn(buffered, '2026-10-25', '2026-10-01T00:00:00Z').map(({ time, status }) => `${time} ${status}`)).toEqual([
      '02:00 available',
      '02:30 unavailable',
      '03:00 unavailable',
    ]);
  });

  it('America/Santiago spring forward (2026-09-06, 00:00→01:00): the day starts at 01:00, so slots in its first hour do not exist', () => {
    const facts = dstFacts('America/Santiago', [{ dayOfWeek: SUNDAY, startTime: '00:00', endTime: '03:00' }]);
    expect(slotsOn(facts, '2026-09-06', '2026-09-01T00:00:00Z')).toEqual([
      { time: '01:00', startsAt: '2026-09-06T04:00:00.000Z', endsAt: '2026-09-06T04:30:00.000Z', status: 'available' },
      { time: '01:30', startsAt: '2026-09-06T04:30:00.000Z', endsAt: '2026-09-06T05:00:00.000Z', status: 'available' },
      { time: '02:00', startsAt: '2026-09-06T05:00:00.000Z', endsAt: '2026-09-06T05:30:00.000Z', status: 'available' },
      { time: '02:30', startsAt: '2026-09-06T05:30:00.000Z', endsAt: '2026-09-06T06:00:00.000Z', status: 'available' },
    ]);
  });

  it('America/Santiago fall back (2026-04-05 00:00 → 2026-04-04 23:00): Saturday 23:00–24:00 is offered once, at its first occurrence (-03)', () => {
    const saturday = dstFacts('America/Santiago', [{ dayOfWeek: SATURDAY, startTime: '22:00', endTime: '24:00' }]);
    expect(slotsOn(saturday, '2026-04-04', '2026-04-01T00:00:00Z')).toEqual([
      { time: '22:00', startsAt: '2026-04-05T01:00:00.000Z', endsAt: '2026-04-05T01:30:00.000Z', status: 'available' },
      { time: '22:30', startsAt: '2026-04-05T01:30:00.000Z', endsAt: '2026-04-05T02:00:00.000Z', status: 'available' },
      { time: '23:00', startsAt: '2026-04-05T02:00:00.000Z', endsAt: '2026-04-05T02:30:00.000Z', status: 'available' },
      { time: '23:30', startsAt: '2026-04-05T02:30:00.000Z', endsAt: '2026-04-05T03:00:00.000Z', status: 'available' },
    ]);
    const sunday = dstFacts('America/Santiago', [{ dayOfWeek: SUNDAY, startTime: '00:00', endTime: '01:00' }]);
    // Sunday's midnight comes after the repeated hour, at -04.
    expect(slotsOn(sunday, '2026-04-05', '2026-04-01T00:00:00Z').map((slot) => slot.startsAt)).toEqual([
      '2026-04-05T04:00:00.000Z',
      '2026-04-05T04:30:00.000Z',
    ]);
  });

  it('America/New_York fall back (2026-11-01, 02:00→01:00): 01:30 is offered at its EDT instant', () => {
    const facts = dstFacts('America/New_York', [{ dayOfWeek: SUNDAY, startTime: '01:00', endTime: '02:30' }]);
    expect(slotsOn(facts, '2026-11-01', '2026-10-01T00:00:00Z').map(({ time, startsAt }) => `${time} ${startsAt}`)).toEqual([
      '01:00 2026-11-01T05:00:00.000Z',
      '01:30 2026-11-01T05:30:00.000Z',
      '02:00 2026-11-01T07:00:00.000Z',
    ]);
  });
});
