import { createHash, randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { NotFoundAtProvider, PermanentIntegrationFailure } from '../../../integrations/integration-errors.js';
import type { CalendarBusy, CalendarEventOutcome, CalendarEventRequest, CalendarGateway, CalendarGrant } from '../../../integrations/ports.js';

export interface LocalCalendarOptions {
  readonly db: Knex;
  /** Our own public base URL: the consent page is the dev route on it. */
  readonly baseUrl: string;
}

interface EventRow {
  readonly event_id: string;
  readonly meet_link: string | null;
}

const TABLE = 'app.local_calendar_events';

/**
 * The Google Calendar stand-in for a start without credentials: events are rows (ids, times, the
 * link; no summaries, which would be personal data), the consent is a dev route that answers at once,
 * and the calendar holds nothing but our own events, so it never reports busy time.
 */
export class LocalCalendarGateway implements CalendarGateway {
  readonly driver = 'local' as const;

  constructor(private readonly options: LocalCalendarOptions) {}

  consentUrl(state: string, redirectUri: string): string {
    const url = new URL('/dev/google/consent', this.options.baseUrl);
    url.searchParams.set('state', state);
    url.searchParams.set('redirect_uri', redirectUri);
    return url.toString();
  }

  exchangeCode(code: string, _redirectUri: string): Promise<{ readonly refreshToken: string }> {
    // Codes come from the dev consent route; anything else would be a bug worth seeing.
    if (!code.startsWith('local-code-')) return Promise.reject(new PermanentIntegrationFailure('local calendar: not a local consent code', 400));
    return Promise.resolve({ refreshToken: `local-refresh-${randomBytes(16).toString('hex')}` });
  }

  async createEvent(grant: CalendarGrant, event: CalendarEventRequest): Promise<CalendarEventOutcome> {
    // Like Google's 409 on a known id: a retry answers the event that exists, it never makes another.
    await this.options.db(TABLE)
      .insert({
        calendar_id: grant.calendarId,
        event_id: event.eventId,
        starts_at: event.startsAt,
        ends_at: event.endsAt,
        time_zone: event.timeZone,
        meet_link: event.requestMeet ? localMeetLink(event.eventId) : null,
        status: 'confirmed',
      })
      .onConflict(['calendar_id', 'event_id'])
      .ignore();
    return this.outcome(grant, event.eventId);
  }

  async patchEvent(grant: CalendarGrant, eventId: string, change: { readonly startsAt: Date; readonly endsAt: Date; readonly timeZone: string }): Promise<CalendarEventOutcome> {
    await this.options.db(TABLE)
      .where({ calendar_id: grant.calendarId, event_id: eventId })
      .update({ starts_at: change.startsAt, ends_at: change.endsAt, time_zone: change.timeZone, updated_at: this.options.db.fn.now() });
    return this.outcome(grant, eventId);
  }

  async deleteEvent(grant: CalendarGrant, eventId: string): Promise<void> {
    // An unknown or already cancelled event is done, as with Google's 404/410.
    await this.options.db(TABLE)
      .where({ calendar_id: grant.calendarId, event_id: eventId })
      .update({ status: 'cancelled', updated_at: this.options.db.fn.now() });
  }

  busy(_grant: CalendarGrant, _range: { readonly from: Date; readonly to: Date; readonly timeZone: string }, _ownEventIds: ReadonlySet<string>): Promise<CalendarBusy> {
    return Promise.resolve({ intervals: [], allDayDates: [] });
  }

  private async outcome(grant: CalendarGrant, eventId: string): Promise<CalendarEventOutcome> {
    const row: EventRow | undefined = await this.options.db(TABLE).where({ calendar_id: grant.calendarId, event_id: eventId }).first<EventRow | undefined>('event_id', 'meet_link');
    if (!row) throw new NotFoundAtProvider('local calendar: 404 notFound', 404);
    return { eventId: row.event_id, meetLink: row.meet_link, htmlLink: null };
  }
}

/** A Meet link in Google's shape (`https://meet.google.com/abc-defg-hij`), the same for the same event. */
export function localMeetLink(eventId: string): string {
  const digest = createHash('sha256').update(`meet:${eventId}`).digest();
  const letters = [...digest.subarray(0, 10)].map((byte) => String.fromCharCode(97 + (byte % 26))).join('');
  return `https://meet.google.com/${letters.slice(0, 3)}-${letters.slice(3, 7)}-${letters.slice(7, 10)}`;
}
