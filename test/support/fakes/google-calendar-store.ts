import { randomBytes } from 'node:crypto';
import type { calendar_v3 } from 'googleapis/build/src/apis/calendar/index.js';
import { DateTime } from 'luxon';
import rrulePackage from 'rrule';

const { rrulestr } = rrulePackage;

type Event = calendar_v3.Schema$Event;

/** Google's rule for client-chosen ids: base32hex, 5–1024 characters. */
export const VALID_EVENT_ID = /^[a-v0-9]{5,1024}$/;

/** The events of the fake's calendars, as Google keeps them: recurring events stored once, expanded when listed. */
export class FakeCalendarStore {
  private readonly calendars = new Map<string, Map<string, Event>>();

  constructor(private readonly calendarTimeZone: string) {}

  calendar(calendarId: string): Map<string, Event> {
    let events = this.calendars.get(calendarId);
    if (!events) this.calendars.set(calendarId, (events = new Map<string, Event>()));
    return events;
  }

  /** Stores an event with the fields Google fills in itself. */
  put(calendarId: string, input: Event, meet: boolean): Event {
    const id = input.id ?? randomId();
    const now = new Date().toISOString();
    const event: Event = {
      kind: 'calendar#event',
      etag: `"${randomBytes(8).toString('hex')}"`,
      status: 'confirmed',
      htmlLink: `https://www.google.com/calendar/event?eid=${Buffer.from(`${id} ${calendarId}`).toString('base64url')}`,
      created: now,
      updated: now,
      creator: { email: calendarId, self: true },
      organizer: { email: calendarId, self: true },
      iCalUID: `${id}@google.com`,
      sequence: 0,
      eventType: 'default',
      ...input,
      id,
      conferenceData: undefined,
    };
    const request = input.conferenceData?.createRequest;
    if (meet && request?.conferenceSolutionKey?.type === 'hangoutsMeet') {
      const code = meetCode();
      event.hangoutLink = `https://meet.google.com/${code}`;
      event.conferenceData = {
        createRequest: { ...request, status: { statusCode: 'success' } },
        entryPoints: [{ entryPointType: 'video', uri: event.hangoutLink, label: `meet.google.com/${code}` }],
        conferenceSolution: { key: { type: 'hangoutsMeet' }, name: 'Google Meet' },
        conferenceId: code,
      };
    }
    this.calendar(calendarId).set(id, event);
    return event;
  }

  /**
   * events.list over [timeMin, timeMax): recurring events expanded into instances when `singleEvents`,
   * ordered by start. Recurrence supports RRULE lines (expanded in the event's zone, so 09:00 stays
   * 09:00 across DST); EXDATE/RDATE are beyond this fake.
   */
  list(calendarId: string, query: { timeMin?: Date; timeMax?: Date; singleEvents: boolean; showDeleted: boolean; timeZone?: string }): Event[] {
    const zone = query.timeZone ?? this.calendarTimeZone;
    const out: Event[] = [];
    for (const event of this.calendar(calendarId).values()) {
      if (event.status === 'cancelled' && !query.showDeleted) continue;
      const candidates = query.singleEvents && event.recurrence?.length ? this.instances(event, query.timeMin, query.timeMax) : [event];
      for (const candidate of candidates) {
        const span = spanOf(candidate, zone);
        if (!span) continue;
        // A recurring master (singleEvents=false) is listed when any of its instances may fall in the range.
        const endMs = !query.singleEvents && event.recurrence?.length ? Number.POSITIVE_INFINITY : span.endMs;
        if (query.timeMax && span.startMs >= query.timeMax.getTime()) continue;
        if (query.timeMin && endMs <= query.timeMin.getTime()) continue;
        out.push(candidate);
      }
    }
    return out.sort((a, b) => (spanOf(a, zone)?.startMs ?? 0) - (spanOf(b, zone)?.startMs ?? 0));
  }

  private instances(master: Event, timeMin: Date | undefined, timeMax: Date | undefined): Event[] {
    const zone = master.start?.timeZone ?? this.calendarTimeZone;
    const allDay = Boolean(master.start?.date);
    const start = allDay ? DateTime.fromISO(master.start?.date ?? '', { zone }) : DateTime.fromISO(master.start?.dateTime ?? '', { zone });
    const end = allDay ? DateTime.fromISO(master.end?.date ?? '', { zone }) : DateTime.fromISO(master.end?.dateTime ?? '', { zone });
    if (!start.isValid || !end.isValid) return [];
    const lines = (master.recurrence ?? []).filter((line) => line.startsWith('RRULE:'));
    // rrule works in "floating" time: wall-clock fields carried in a UTC Date.
    const rule = rrulestr(lines.join('\n'), { dtstart: floating(start) });
    const day = 86_400_000;
    const after = timeMin ? new Date(floating(DateTime.fromJSDate(timeMin, { zone })).getTime() - end.diff(start).toMillis() - day) : undefined;
    const before = timeMax ? new Date(floating(DateTime.fromJSDate(timeMax, { zone })).getTime() + day) : undefined;
    const occurrences = after && before ? rule.between(after, before, true) : rule.all((_, index) => index < 1000);
    const { recurrence: _recurrence, ...rest } = master;
    return occurrences.map((occurrence) => {
      const local = DateTime.fromObject(
        { year: occurrence.getUTCFullYear(), month: occurrence.getUTCMonth() + 1, day: occurrence.getUTCDate(), hour: occurrence.getUTCHours(), minute: occurrence.getUTCMinutes(), second: occurrence.getUTCSeconds() },
        { zone },
      );
      if (allDay) {
        const days = Math.round(end.diff(start, 'days').days);
        const date = local.toISODate() ?? '';
        return { ...rest, id: `${master.id ?? ''}_${date.replaceAll('-', '')}`, recurringEventId: master.id ?? null, originalStartTime: { date }, start: { date }, end: { date: local.plus({ days }).toISODate() } };
      }
      const dateTime = local.toISO({ suppressMilliseconds: true });
      const stamp = local.toUTC().toFormat("yyyyMMdd'T'HHmmss'Z'");
      return {
        ...rest,
        id: `${master.id ?? ''}_${stamp}`,
        recurringEventId: master.id ?? null,
        originalStartTime: { dateTime, timeZone: zone },
        start: { dateTime, timeZone: zone },
        end: { dateTime: local.plus(end.diff(start)).toISO({ suppressMilliseconds: true }), timeZone: zone },
      };
    });
  }
}

/** Where an event sits in time; all-day dates are read at midnight in the calendar's zone, as Google does. */
function spanOf(event: Event, zone: string): { startMs: number; endMs: number } | null {
  const at = (when: calendar_v3.Schema$EventDateTime | undefined) =>
    when?.dateTime ? DateTime.fromISO(when.dateTime, { zone: when.timeZone ?? zone }) : DateTime.fromISO(when?.date ?? '', { zone });
  const start = at(event.start);
  const end = at(event.end);
  return start.isValid && end.isValid ? { startMs: start.toMillis(), endMs: end.toMillis() } : null;
}

function floating(local: DateTime): Date {
  return new Date(Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute, local.second));
}

function randomId(): string {
  const alphabet = '0123456789abcdefghijklmnopqrstuv';
  return [...randomBytes(26)].map((byte) => alphabet[byte % 32]).join('');
}

function meetCode(): string {
  const letters = (n: number) => [...randomBytes(n)].map((byte) => String.fromCharCode(97 + (byte % 26))).join('');
  return `${letters(3)}-${letters(4)}-${letters(3)}`;
}
