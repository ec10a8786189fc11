import { IANAZone } from 'luxon';

/**
 * Calendar and wall-clock helpers for the therapist's time zone.
 *
 * Local dates are handled as day numbers (days since 1970-01-01) and local times as minutes since
 * midnight: plain integers are cheap to compare and iterate, and the slot computation runs for every
 * availability request. Luxon is used only for what needs the tz database: UTC offsets.
 */
export const MINUTES_PER_DAY = 1440;
export const MS_PER_MINUTE = 60_000;
export const MS_PER_HOUR = 3_600_000;
export const MS_PER_DAY = 86_400_000;

const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME_PATTERN = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** Day number of a real calendar date written `YYYY-MM-DD`, or null (2026-02-30 is null). */
export function parseLocalDate(value: string): number | null {
  const match = DATE_PATTERN.exec(value);
  if (!match) return null;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const ms = Date.UTC(year, month - 1, day);
  const check = new Date(ms);
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) return null;
  return ms / MS_PER_DAY;
}

export function formatLocalDate(dayNumber: number): string {
  const date = new Date(dayNumber * MS_PER_DAY);
  return `${String(date.getUTCFullYear()).padStart(4, '0')}-${pad2(date.getUTCMonth() + 1)}-${pad2(date.getUTCDate())}`;
}

/** 0 = Sunday … 6 = Saturday; 1970-01-01 was a Thursday. */
export function dayOfWeek(dayNumber: number): number {
  return (((dayNumber + 4) % 7) + 7) % 7;
}

/**
 * Minutes since midnight of `HH:MM`, or null. `24:00` (end of day) is accepted only where an
 * interval ends, so a block can run to midnight without a 23:59 hack.
 */
export function parseLocalTime(value: string, options: { endOfDay?: boolean } = {}): number | null {
  if (value === '24:00') return options.endOfDay ? MINUTES_PER_DAY : null;
  const match = TIME_PATTERN.exec(value);
  return match ? Number(match[1]) * 60 + Number(match[2]) : null;
}

export function formatLocalTime(minutes: number): string {
  return `${pad2(Math.floor(minutes / 60))}:${pad2(minutes % 60)}`;
}

/**
 * An IANA zone name (Area/Location, or UTC). The ICU behind Intl also accepts legacy three-letter ids,
 * and "ART" there is Africa/Cairo, not Argentina: a therapist typing it would move every slot 5 hours.
 */
const IANA_NAME = /^(?:UTC|[A-Za-z_]+(?:\/[A-Za-z0-9_+-]+)+)$/;

export function isValidTimeZone(name: string): boolean {
  return IANA_NAME.test(name) && IANAZone.isValidZone(name);
}

/** A valid IANA zone, or a thrown RangeError: callers validated the name when it was stored. */
export function timeZone(name: string): IANAZone {
  const zone = IANAZone.create(name);
  if (!zone.isValid) throw new RangeError(`Unknown time zone: ${name}`);
  return zone;
}

/** The local calendar day (day number) of an instant in a zone. */
export function localDayOf(zone: IANAZone, instantMs: number): number {
  return Math.floor((instantMs + zone.offset(instantMs) * MS_PER_MINUTE) / MS_PER_DAY);
}

/**
 * UTC offsets (minutes) in force just before a local day starts and just after it ends. When they
 * are equal the day has no transition, and every wall-clock time of the day converts with one
 * subtraction. (Zones move at most once in such a 50-hour window.)
 */
export interface DayOffsets {
  readonly before: number;
  readonly after: number;
}

// Offsets are a pure function of (zone, day) for the life of the process (the tz database does not
// change under it), and each luxon offset lookup costs microseconds, so they are memoised. Bounded.
const offsetMemo = new Map<string, DayOffsets>();
const OFFSET_MEMO_LIMIT = 50_000;

export function dayOffsets(zone: IANAZone, dayNumber: number): DayOffsets {
  const key = `${zone.name}|${dayNumber}`;
  const known = offsetMemo.get(key);
  if (known) return known;
  const wallMidnight = dayNumber * MS_PER_DAY;
  // Real offsets lie within [-12h, +14h], so these two instants bracket the local day.
  const offsets = {
    before: zone.offset(wallMidnight - 14 * MS_PER_HOUR),
    after: zone.offset(wallMidnight + 36 * MS_PER_HOUR),
  };
  if (offsetMemo.size >= OFFSET_MEMO_LIMIT) offsetMemo.clear();
  offsetMemo.set(key, offsets);
  return offsets;
}

/**
 * The instant a local wall-clock time happens: null when it does not exist (the hour skipped when
 * clocks spring forward); the first occurrence when it happens twice (the hour repeated in autumn).
 */
export function localToInstant(zone: IANAZone, dayNumber: number, minutes: number, offsets = dayOffsets(zone, dayNumber)): number | null {
  const wall = dayNumber * MS_PER_DAY + minutes * MS_PER_MINUTE;
  if (offsets.before === offsets.after) return wall - offsets.before * MS_PER_MINUTE;
  let first: number | null = null;
  for (const offset of [offsets.before, offsets.after]) {
    const candidate = wall - offset * MS_PER_MINUTE;
    if (zone.offset(candidate) === offset && (first === null || candidate < first)) first = candidate;
  }
  return first;
}

/**
 * Like localToInstant, but a skipped wall time maps to the moment clocks jump past it (02:30 in a
 * 02:00→03:00 gap is 03:30's instant, as luxon does). For interval bounds, which must exist.
 */
export function localToInstantLenient(zone: IANAZone, dayNumber: number, minutes: number): number {
  const offsets = dayOffsets(zone, dayNumber);
  return localToInstant(zone, dayNumber, minutes, offsets) ?? dayNumber * MS_PER_DAY + minutes * MS_PER_MINUTE - offsets.before * MS_PER_MINUTE;
}

function pad2(value: number): string {
  return value < 10 ? `0${value}` : String(value);
}
