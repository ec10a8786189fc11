import { isSessionEventId } from './calendar-event-id.js';
import { DateTime } from 'luxon';
import type { CalendarBusy } from '../../../integrations/ports.js';

/** The fields of a Calendar v3 event (`calendar_v3.Schema$Event`) that decide whether it is busy time. */
export interface BusyEventSource {
  readonly id?: string | null;
  readonly recurringEventId?: string | null;
  readonly status?: string | null;
  readonly transparency?: string | null;
  readonly start?: { readonly date?: string | null; readonly dateTime?: string | null; readonly timeZone?: string | null } | null;
  readonly end?: { readonly date?: string | null; readonly dateTime?: string | null; readonly timeZone?: string | null } | null;
  readonly attendees?: readonly { readonly self?: boolean | null; readonly responseStatus?: string | null }[] | null;
}

export interface BusyTimesOptions {
  /** The therapist's zone: all-day dates are clipped to the range's local dates there. */
  readonly timeZone: string;
  /** The range asked for, [from, to). */
  readonly range: { readonly from: Date; readonly to: Date };
  /** Events we created: they are sessions already, so counting them again would block them twice. */
  readonly ownEventIds: ReadonlySet<string>;
  /** An invitation the therapist declined does not keep them busy (default true). */
  readonly ignoreDeclined?: boolean;
}

/** Busy time from events.list items (singleEvents=true, so recurring events arrive as instances). */
export function busyTimes(events: readonly BusyEventSource[], options: BusyTimesOptions): CalendarBusy {
  const intervals: { startsAt: string; endsAt: string }[] = [];
  const allDay = new Set<string>();
  const firstDate = localDate(options.range.from, options.timeZone);
  // `to` is exclusive: the last local date touched is the one just before it.
  const lastDate = localDate(new Date(options.range.to.getTime() - 1), options.timeZone);
  for (const event of events) {
    if (!blocks(event, options)) continue;
    const startDateTime = event.start?.dateTime;
    const endDateTime = event.end?.dateTime;
    if (startDateTime && endDateTime) {
      const startsAt = instant(startDateTime, event.start?.timeZone ?? options.timeZone);
      const endsAt = instant(endDateTime, event.end?.timeZone ?? options.timeZone);
      if (startsAt && endsAt && endsAt > startsAt) intervals.push({ startsAt, endsAt });
      continue;
    }
    const startDate = event.start?.date;
    const endDate = event.end?.date;
    if (startDate && endDate) {
      // Clipped before stepping: a years-long "on leave" event costs only the range's days.
      const from = startDate > firstDate ? startDate : firstDate;
      for (const date of datesBefore(from, endDate)) {
        if (date > lastDate) break;
        allDay.add(date);
      }
    }
  }
  intervals.sort((a, b) => a.startsAt.localeCompare(b.startsAt) || a.endsAt.localeCompare(b.endsAt));
  return { intervals, allDayDates: [...allDay].sort() };
}

function blocks(event: BusyEventSource, options: BusyTimesOptions): boolean {
  if (event.status === 'cancelled' || event.transparency === 'transparent') return false;
  // Ours: the session is busy time already; a stale copy (a move or delete not synced yet) must not block twice.
  if (event.id && (options.ownEventIds.has(event.id) || isSessionEventId(event.id))) return false;
  if (event.recurringEventId && options.ownEventIds.has(event.recurringEventId)) return false;
  if (options.ignoreDeclined ?? true) {
    const self = event.attendees?.find((attendee) => attendee.self === true);
    if (self?.responseStatus === 'declined') return false;
  }
  return true;
}

function instant(dateTime: string, zone: string): string | null {
  // Google always sends an offset; the zone only matters for a value that lacks one.
  const parsed = DateTime.fromISO(dateTime, { zone });
  return parsed.isValid ? parsed.toUTC().toISO({ suppressMilliseconds: false }) : null;
}

function localDate(at: Date, zone: string): string {
  const date = DateTime.fromJSDate(at, { zone }).toISODate();
  if (date === null) throw new RangeError('busyTimes: invalid time zone');
  return date;
}

/** Dates from `startDate` up to `endDate` exclusive. Dates are floating: stepping in UTC never meets a DST gap. */
function* datesBefore(startDate: string, endDate: string): Generator<string> {
  const end = DateTime.fromISO(endDate, { zone: 'utc' });
  let day = DateTime.fromISO(startDate, { zone: 'utc' });
  if (!day.isValid || !end.isValid) return;
  for (; day < end; day = day.plus({ days: 1 })) {
    const iso = day.toISODate();
    if (iso !== null) yield iso;
  }
}
