import type { ExceptionFact, RuleFact } from './availability-types.js';
import { dayOfWeek, MINUTES_PER_DAY, parseLocalDate, parseLocalTime } from './time.js';

/** Half-open interval of minutes since local midnight, [start, end). */
export type MinuteRange = readonly [start: number, end: number];

/** Sorted, disjoint, non-touching union: adjacent blocks (9–12, 12–14) are one continuous range. */
export function unionRanges(ranges: readonly MinuteRange[]): MinuteRange[] {
  const sorted = ranges.filter(([s, e]) => e > s).sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const [start, end] of sorted) {
    const last = merged[merged.length - 1];
    if (last && start <= last[1]) last[1] = Math.max(last[1], end);
    else merged.push([start, end]);
  }
  return merged;
}

/** `ranges` minus `cuts`; both given as sorted disjoint unions. */
export function subtractRanges(ranges: readonly MinuteRange[], cuts: readonly MinuteRange[]): MinuteRange[] {
  const result: MinuteRange[] = [];
  for (const [start, end] of ranges) {
    let cursor = start;
    for (const [cutStart, cutEnd] of cuts) {
      if (cutEnd <= cursor || cutStart >= end) continue;
      if (cutStart > cursor) result.push([cursor, cutStart]);
      cursor = Math.max(cursor, cutEnd);
      if (cursor >= end) break;
    }
    if (cursor < end) result.push([cursor, end]);
  }
  return result;
}

/** A rule or exception's time range, or null when its times do not parse (facts are never trusted to be valid). */
export function minuteRange(startTime: string | null, endTime: string | null): MinuteRange | null {
  if (startTime === null || endTime === null) return null;
  const start = parseLocalTime(startTime);
  const end = parseLocalTime(endTime, { endOfDay: true });
  return start === null || end === null || end <= start ? null : [start, end];
}

interface DateOverrides {
  blocks: MinuteRange[];
  extras: MinuteRange[];
}

/**
 * Rules grouped by weekday and exceptions grouped by date, parsed once per computation so each day
 * of the range is resolved with integer arithmetic only.
 */
export class DayRangePlanner {
  private readonly weekly: MinuteRange[][];
  private readonly overrides = new Map<number, DateOverrides>();

  constructor(rules: readonly RuleFact[], exceptions: readonly ExceptionFact[]) {
    const byDay: MinuteRange[][] = [[], [], [], [], [], [], []];
    for (const rule of rules) {
      const range = minuteRange(rule.startTime, rule.endTime);
      if (range) byDay[rule.dayOfWeek]?.push(range);
    }
    this.weekly = byDay.map(unionRanges);
    for (const exception of exceptions) {
      const day = parseLocalDate(exception.date);
      const range = exception.allDay ? ([0, MINUTES_PER_DAY] as const) : minuteRange(exception.startTime, exception.endTime);
      if (day === null || range === null) continue;
      let entry = this.overrides.get(day);
      if (!entry) this.overrides.set(day, (entry = { blocks: [], extras: [] }));
      (exception.isAvailable ? entry.extras : entry.blocks).push(range);
    }
  }

  /**
   * The available ranges of one local date: weekly rules of its weekday, minus blocking exceptions,
   * plus extra-availability exceptions (so an extra range re-opens time even inside a block).
   */
  rangesFor(dayNumber: number): readonly MinuteRange[] {
    const weekly = this.weekly[dayOfWeek(dayNumber)] ?? [];
    const entry = this.overrides.get(dayNumber);
    if (!entry) return weekly;
    const open = subtractRanges(weekly, unionRanges(entry.blocks));
    return entry.extras.length === 0 ? open : unionRanges([...open, ...entry.extras]);
  }
}
