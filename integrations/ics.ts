import { DateTime } from 'luxon';

/**
 * The "add to calendar" file sent with a booking confirmation (RFC 5545). Pure: the same input gives
 * the same bytes, so a resent e-mail carries an identical file and calendars update the one event
 * (same UID) instead of adding a second.
 */
export interface CalendarFileInput {
  readonly uid: string;
  /** When this version of the file was made (DTSTAMP); pass the command's `now`, never the wall clock. */
  readonly dtstamp: Date;
  readonly startsAt: Date;
  readonly endsAt: Date;
  /** IANA zone the event is shown in (the therapist's). */
  readonly timeZone: string;
  readonly summary: string;
  readonly description: string;
  readonly location?: string | null;
  readonly url?: string | null;
}

const CRLF = '\r\n';
const MAX_LINE_OCTETS = 75;
const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;
// How far around the event to look for offset changes: a year back finds the observance in force
// (DST rules change at most twice a year), a year forward finds the one that follows it.
const SEARCH_WINDOW_MS = 366 * DAY_MS;

export function calendarFileFor(input: CalendarFileInput): string {
  if (!DateTime.fromMillis(0, { zone: input.timeZone }).isValid) throw new RangeError('calendarFileFor: unknown time zone');
  // A line break in a URI would end the property and let the rest be read as new ones.
  if (input.url && [...input.url].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) throw new RangeError('calendarFileFor: the URL has control characters');
  if (input.endsAt.getTime() <= input.startsAt.getTime()) throw new RangeError('calendarFileFor: the event ends before it starts');
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//PsicoPay//Agenda//ES',
    'CALSCALE:GREGORIAN',
    'METHOD:PUBLISH',
    ...timeZoneComponent(input.timeZone, input.startsAt, input.endsAt),
    'BEGIN:VEVENT',
    `UID:${escapeText(input.uid)}`,
    `DTSTAMP:${utcStamp(input.dtstamp)}`,
    `DTSTART;TZID=${input.timeZone}:${localStamp(input.startsAt, input.timeZone)}`,
    `DTEND;TZID=${input.timeZone}:${localStamp(input.endsAt, input.timeZone)}`,
    `SUMMARY:${escapeText(input.summary)}`,
    `DESCRIPTION:${escapeText(input.description)}`,
    ...(input.location ? [`LOCATION:${escapeText(input.location)}`] : []),
    // URI values are not TEXT: escaping their commas or semicolons would change the address.
    ...(input.url ? [`URL:${input.url}`] : []),
    'STATUS:CONFIRMED',
    'SEQUENCE:0',
    'END:VEVENT',
    'END:VCALENDAR',
  ];
  return lines.map(fold).join(CRLF) + CRLF;
}

/** RFC 5545 3.3.11: backslash, semicolon, comma and line breaks are escaped in TEXT values. */
export function escapeText(value: string): string {
  return value
    .replace(/\\/g, '\\\\')
    .replace(/;/g, '\\;')
    .replace(/,/g, '\\,')
    .replace(/\r\n|\r|\n/g, '\\n');
}

/**
 * RFC 5545 3.1: lines longer than 75 octets are split, each continuation starting with one space
 * (which counts toward its 75). Split between code points, never inside a UTF-8 sequence.
 */
export function fold(line: string): string {
  const parts: string[] = [];
  let current = '';
  let octets = 0;
  for (const char of line) {
    const size = Buffer.byteLength(char, 'utf8');
    if (octets + size > MAX_LINE_OCTETS) {
      parts.push(current);
      current = ' ';
      octets = 1;
    }
    current += char;
    octets += size;
  }
  parts.push(current);
  return parts.join(CRLF);
}

interface Transition {
  /** The first instant of the new offset. */
  readonly at: number;
  readonly offsetFrom: number;
  readonly offsetTo: number;
  readonly daylight: boolean;
}

/**
 * A VTIMEZONE with the observances that matter for the event: the one in force when it starts and
 * any that begin before it ends, plus the next one (so a client shows both halves of the zone's
 * year). A zone that did not change its offset within a year either side gets one STANDARD.
 */
function timeZoneComponent(zone: string, startsAt: Date, endsAt: Date): string[] {
  const transitions = transitionsBetween(zone, startsAt.getTime() - SEARCH_WINDOW_MS, endsAt.getTime() + SEARCH_WINDOW_MS);
  const inForce = transitions.filter((t) => t.at <= startsAt.getTime()).at(-1);
  const following = transitions.filter((t) => t.at > startsAt.getTime());
  const lastNeeded = following.findIndex((t) => t.at > endsAt.getTime());
  const relevant = [...(inForce ? [inForce] : []), ...following.slice(0, lastNeeded === -1 ? following.length : lastNeeded + 1)];
  const observances =
    relevant.length === 0
      ? observance('STANDARD', '19700101T000000', offsetAt(zone, startsAt.getTime()), offsetAt(zone, startsAt.getTime()))
      : relevant.flatMap((t) => observance(t.daylight ? 'DAYLIGHT' : 'STANDARD', onsetStamp(t), t.offsetFrom, t.offsetTo));
  return ['BEGIN:VTIMEZONE', `TZID:${zone}`, ...observances, 'END:VTIMEZONE'];
}

function observance(kind: 'STANDARD' | 'DAYLIGHT', dtstart: string, from: number, to: number): string[] {
  return [`BEGIN:${kind}`, `DTSTART:${dtstart}`, `TZOFFSETFROM:${utcOffset(from)}`, `TZOFFSETTO:${utcOffset(to)}`, `END:${kind}`];
}

/** Offset changes in [from, to): a daily scan, then a binary search to the minute of each change. */
function transitionsBetween(zone: string, from: number, to: number): Transition[] {
  const found: Transition[] = [];
  let previous = offsetAt(zone, from);
  for (let day = from + DAY_MS; day < to + DAY_MS; day += DAY_MS) {
    const offset = offsetAt(zone, day);
    if (offset === previous) continue;
    let low = day - DAY_MS;
    let high = day;
    while (high - low > MINUTE_MS) {
      const middle = low + Math.floor((high - low) / 2 / MINUTE_MS) * MINUTE_MS;
      if (offsetAt(zone, middle) === previous) low = middle;
      else high = middle;
    }
    found.push({ at: high, offsetFrom: previous, offsetTo: offset, daylight: DateTime.fromMillis(high, { zone }).isInDST });
    previous = offset;
  }
  return found;
}

function offsetAt(zone: string, epochMs: number): number {
  return DateTime.fromMillis(epochMs, { zone }).offset;
}

/** An observance's DTSTART is the local wall time of its onset, read on the clock before the change. */
function onsetStamp(t: Transition): string {
  return DateTime.fromMillis(t.at, { zone: 'utc' }).plus({ minutes: t.offsetFrom }).toFormat("yyyyMMdd'T'HHmmss");
}

function utcOffset(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const absolute = Math.abs(minutes);
  return `${sign}${String(Math.floor(absolute / 60)).padStart(2, '0')}${String(absolute % 60).padStart(2, '0')}`;
}

function utcStamp(date: Date): string {
  return DateTime.fromJSDate(date, { zone: 'utc' }).toFormat("yyyyMMdd'T'HHmmss'Z'");
}

function localStamp(date: Date, zone: string): string {
  return DateTime.fromJSDate(date, { zone }).toFormat("yyyyMMdd'T'HHmmss");
}
