import { createHash } from 'node:crypto';
import { OAuth2Client } from 'google-auth-library';
// The calendar module alone: `import { google } from 'googleapis'` loads every API (~70 MB of heap).
import { calendar_v3 } from 'googleapis/build/src/apis/calendar/index.js';
import { DateTime } from 'luxon';
import { GrantRevoked, NotFoundAtProvider, PermanentIntegrationFailure, TransientIntegrationFailure } from '../../../integrations/integration-errors.js';
import type { CalendarBusy, CalendarEventOutcome, CalendarEventRequest, CalendarGateway, CalendarGrant } from '../../../integrations/ports.js';
import { busyTimes } from './busy-times.js';

/**
 * `calendar.events` alone covers events.insert/patch/delete/list on the therapist's calendars; the
 * broader `calendar.readonly` would add "see all your calendars" to the consent screen for nothing.
 */
export const GOOGLE_CALENDAR_SCOPES: readonly string[] = ['https://www.googleapis.com/auth/calendar.events'];

export interface GoogleCalendarGatewayOptions {
  readonly clientId: string;
  readonly clientSecret: string;
  /** The API root, `https://www.googleapis.com/` unless a test points it elsewhere. */
  readonly rootUrl?: string;
  readonly tokenUrl?: string;
  readonly authBaseUrl?: string;
  readonly timeoutMs?: number;
}

const CLIENT_CACHE_SIZE = 200;
// 20 pages of 2500: a range with more events than that is not a therapist's calendar.
const MAX_LIST_PAGES = 20;
const RATE_LIMIT_REASONS = new Set(['rateLimitExceeded', 'userRateLimitExceeded', 'quotaExceeded', 'dailyLimitExceeded']);

/** What a gaxios error carries, read structurally (gaxios is not our dependency). */
interface HttpFailure {
  readonly code?: unknown;
  readonly config?: unknown;
  readonly response?: { readonly status: number; readonly data?: unknown; readonly headers?: { get(name: string): string | null } };
}

/** Calendar v3 through googleapis, one OAuth2 client per grant so access tokens are reused between calls. */
export class GoogleCalendarGateway implements CalendarGateway {
  readonly driver = 'google' as const;
  private readonly calendar: calendar_v3.Calendar;
  private readonly clients = new Map<string, OAuth2Client>();

  constructor(private readonly options: GoogleCalendarGatewayOptions) {
    // No retries inside the SDK: the dispatcher retries with backoff and records every attempt.
    this.calendar = new calendar_v3.Calendar({ retry: false, timeout: options.timeoutMs ?? 10_000, ...(options.rootUrl ? { rootUrl: options.rootUrl } : {}) });
  }

  consentUrl(state: string, redirectUri: string): string {
    return this.newClient().generateAuthUrl({ access_type: 'offline', prompt: 'consent', scope: [...GOOGLE_CALENDAR_SCOPES], state, redirect_uri: redirectUri });
  }

  async exchangeCode(code: string, redirectUri: string): Promise<{ readonly refreshToken: string }> {
    try {
      const { tokens } = await this.newClient().getToken({ code, redirect_uri: redirectUri });
      // Google sends one only with access_type=offline on a consent screen it showed (prompt=consent).
      if (!tokens.refresh_token) throw new PermanentIntegrationFailure('Google token endpoint: no refresh token in the answer');
      return { refreshToken: tokens.refresh_token };
    } catch (error) {
      // A bad or reused code is not a revoked grant: there is no grant yet.
      const failure = classify(error, 'token exchange');
      throw failure instanceof GrantRevoked ? new PermanentIntegrationFailure(failure.message, failure.status) : failure;
    }
  }

  async createEvent(grant: CalendarGrant, event: CalendarEventRequest): Promise<CalendarEventOutcome> {
    const requestBody: calendar_v3.Schema$Event = {
      id: event.eventId,
      summary: event.summary,
      description: event.description,
      start: { dateTime: wallTime(event.startsAt, event.timeZone), timeZone: event.timeZone },
      end: { dateTime: wallTime(event.endsAt, event.timeZone), timeZone: event.timeZone },
      ...(event.requestMeet ? { conferenceData: { createRequest: { requestId: event.eventId, conferenceSolutionKey: { type: 'hangoutsMeet' } } } } : {}),
    };
    try {
      const { data } = await this.call(grant, 'events.insert', (auth) =>
        this.calendar.events.insert({ auth, calendarId: grant.calendarId, conferenceDataVersion: 1, sendUpdates: 'none', requestBody }),
      );
      return outcomeOf(data);
    } catch (error) {
      // Our id exists: an earlier attempt made the event and its answer was lost. The session may have
      // moved since (or the event been deleted), so the event is brought to what is asked now.
      if (!(error instanceof PermanentIntegrationFailure) || error.status !== 409) throw error;
      const { id: _id, conferenceData: _conference, ...fields } = requestBody;
      const { data } = await this.call(grant, 'events.patch', (auth) =>
        this.calendar.events.patch({ auth, calendarId: grant.calendarId, eventId: event.eventId, conferenceDataVersion: 1, sendUpdates: 'none', requestBody: { ...fields, status: 'confirmed' } }),
      );
      return outcomeOf(data);
    }
  }

  async patchEvent(grant: CalendarGrant, eventId: string, change: { readonly startsAt: Date; readonly endsAt: Date; readonly timeZone: string }): Promise<CalendarEventOutcome> {
    const requestBody: calendar_v3.Schema$Event = {
      start: { dateTime: wallTime(change.startsAt, change.timeZone), timeZone: change.timeZone },
      end: { dateTime: wallTime(change.endsAt, change.timeZone), timeZone: change.timeZone },
    };
    const { data } = await this.call(grant, 'events.patch', (auth) =>
      this.calendar.events.patch({ auth, calendarId: grant.calendarId, eventId, conferenceDataVersion: 1, sendUpdates: 'none', requestBody }),
    );
    return outcomeOf(data);
  }

  async deleteEvent(grant: CalendarGrant, eventId: string): Promise<void> {
    try {
      await this.call(grant, 'events.delete', (auth) => this.calendar.events.delete({ auth, calendarId: grant.calendarId, eventId, sendUpdates: 'none' }));
    } catch (error) {
      if (error instanceof NotFoundAtProvider) return; // 404 or 410: already gone is what we wanted.
      throw error;
    }
  }

  async busy(grant: CalendarGrant, range: { readonly from: Date; readonly to: Date; readonly timeZone: string }, ownEventIds: ReadonlySet<string>): Promise<CalendarBusy> {
    const items: calendar_v3.Schema$Event[] = [];
    let pageToken: string | undefined;
    for (let page = 0; page < MAX_LIST_PAGES; page += 1) {
      const { data } = await this.call(grant, 'events.list', (auth) =>
        this.calendar.events.list({
          auth,
          calendarId: grant.calendarId,
          timeMin: range.from.toISOString(),
          timeMax: range.to.toISOString(),
          timeZone: range.timeZone,
          singleEvents: true,
          orderBy: 'startTime',
          showDeleted: false,
          maxResults: 2500,
          ...(pageToken ? { pageToken } : {}),
        }),
      );
      items.push(...(data.items ?? []));
      pageToken = data.nextPageToken ?? undefined;
      if (!pageToken) return busyTimes(items, { timeZone: range.timeZone, range, ownEventIds });
    }
    throw new PermanentIntegrationFailure(`Google Calendar events.list: more than ${MAX_LIST_PAGES} pages`);
  }

  /**
   * One call with the grant's client. google-auth-library refreshes on a 401 only when the token has no
   * expiry date, and ours always has one (from `expires_in`); so a token Google stopped accepting
   * early (revoked sessions, password change) is refreshed here, once, and the call made again.
   */
  private async call<T>(grant: CalendarGrant, operation: string, request: (auth: OAuth2Client) => Promise<T>): Promise<T> {
    const client = this.clientFor(grant.refreshToken);
    try {
      return await request(client);
    } catch (error) {
      if (statusOf(error) !== 401 || isTokenEndpointAnswer(error)) throw classify(error, `Google Calendar ${operation}`);
    }
    client.setCredentials({ refresh_token: grant.refreshToken });
    try {
      return await request(client);
    } catch (error) {
      throw classify(error, `Google Calendar ${operation}`);
    }
  }

  private clientFor(refreshToken: string): OAuth2Client {
    const key = createHash('sha256').update(refreshToken).digest('base64url');
    let client = this.clients.get(key);
    if (client) {
      this.clients.delete(key); // re-inserted below: Map order is recency, the first key the eldest
    } else {
      client = this.newClient();
      client.setCredentials({ refresh_token: refreshToken });
    }
    this.clients.set(key, client);
    if (this.clients.size > CLIENT_CACHE_SIZE) {
      const eldest = this.clients.keys().next();
      if (!eldest.done) this.clients.delete(eldest.value);
    }
    return client;
  }

  private newClient(): OAuth2Client {
    const client = new OAuth2Client({
      clientId: this.options.clientId,
      clientSecret: this.options.clientSecret,
      endpoints: {
        ...(this.options.tokenUrl ? { oauth2TokenUrl: this.options.tokenUrl } : {}),
        ...(this.options.authBaseUrl ? { oauth2AuthBaseUrl: this.options.authBaseUrl } : {}),
      },
      transporterOptions: { timeout: this.options.timeoutMs ?? 10_000 },
    });
    // The library asks its transport to retry token requests three times on its own; the dispatcher's
    // backoff is the only retry we want, so every request leaves this client with retries off.
    client.transporter.interceptors.request.add({
      resolved: (config) => {
        config.retry = false;
        config.retryConfig = { retry: 0, noResponseRetries: 0 };
        return Promise.resolve(config);
      },
    });
    return client;
  }
}

/** The local wall time with its offset (`2026-01-27T09:00:00-03:00`), as Google shows it to the therapist. */
function wallTime(at: Date, timeZone: string): string {
  const formatted = DateTime.fromJSDate(at, { zone: timeZone }).toISO({ suppressMilliseconds: true });
  if (formatted === null) throw new PermanentIntegrationFailure('Google Calendar: invalid time zone');
  return formatted;
}

function outcomeOf(event: calendar_v3.Schema$Event): CalendarEventOutcome {
  const video = event.conferenceData?.entryPoints?.find((entry) => entry.entryPointType === 'video')?.uri;
  return { eventId: event.id ?? '', meetLink: event.hangoutLink ?? video ?? null, htmlLink: event.htmlLink ?? null };
}

function asFailure(error: unknown): HttpFailure | null {
  return typeof error === 'object' && error !== null && 'config' in error ? error : null;
}

function statusOf(error: unknown): number | null {
  return asFailure(error)?.response?.status ?? null;
}

/** The OAuth2 token endpoint answers `{ error: 'invalid_grant' }`; the Calendar API `{ error: { code, errors } }`. */
function isTokenEndpointAnswer(error: unknown): boolean {
  const data = asFailure(error)?.response?.data;
  return typeof data === 'object' && data !== null && typeof (data as { error?: unknown }).error === 'string';
}

function reasonOf(data: unknown): string {
  if (typeof data !== 'object' || data === null) return 'no reason';
  const body = (data as { error?: unknown }).error;
  if (typeof body === 'string') return body;
  const reason = (body as { errors?: { reason?: unknown }[] } | undefined)?.errors?.[0]?.reason;
  return typeof reason === 'string' ? reason : 'no reason';
}

function retryAfterMs(header: string | null | undefined): number | null {
  if (!header) return null;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? null : Math.max(0, at - Date.now());
}

/** Google's answer as the dispatcher's classes. Messages carry the status and Google's reason only. */
function classify(error: unknown, operation: string): Error {
  if (error instanceof TransientIntegrationFailure || error instanceof PermanentIntegrationFailure) return error;
  const failure = asFailure(error);
  if (!failure) return error instanceof Error ? error : new Error(`${operation}: failed`);
  const response = failure.response;
  // No answer at all: refused, reset, timed out (gaxios gives a code such as ECONNRESET or TimeoutError).
  if (!response) return new TransientIntegrationFailure(`${operation}: ${typeof failure.code === 'string' ? failure.code : 'no response'}`);
  const { status } = response;
  const reason = reasonOf(response.data);
  const message = `${operation}: ${status} ${reason}`;
  const retryAfter = retryAfterMs(response.headers?.get('retry-after'));
  if (status === 429 || status >= 500 || (status === 403 && RATE_LIMIT_REASONS.has(reason))) return new TransientIntegrationFailure(message, retryAfter, status);
  if (isTokenEndpointAnswer(error)) return reason === 'invalid_grant' ? new GrantRevoked(message, status) : new PermanentIntegrationFailure(message, status);
  if (status === 401 || status === 403) return new GrantRevoked(message, status);
  if (status === 404 || status === 410) return new NotFoundAtProvider(message, status);
  return new PermanentIntegrationFailure(message, status);
}
