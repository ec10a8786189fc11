import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GoogleCalendarGateway } from '../../infra/integrations/google/google-calendar-gateway.js';
import { calendarEventIdOf } from '../../infra/integrations/google/calendar-event-id.js';
import { GrantRevoked, NotFoundAtProvider, PermanentIntegrationFailure, TransientIntegrationFailure } from '../../integrations/integration-errors.js';
import type { CalendarEventRequest, CalendarGrant } from '../../integrations/ports.js';
import { startFakeGoogle, type FakeGoogle } from '../support/fakes/google-server.js';

const CLIENT = { clientId: 'psicopay-test.apps.googleusercontent.com', clientSecret: 'test-secret' };
const ZONE = 'America/Argentina/Buenos_Aires';
const MEET_LINK = /^https:\/\/meet\.google\.com\/[a-z]{3}-[a-z]{4}-[a-z]{3}$/;

/** The Calendar gateway through the real googleapis client, at a local server speaking Google's wire format. */
describe('Google Calendar gateway', () => {
  let google: FakeGoogle;
  let gateway: GoogleCalendarGateway;
  beforeAll(async () => {
    // Two items a page: every events.list below has to follow nextPageToken.
    google = await startFakeGoogle({ ...CLIENT, listPageSize: 2 });
    gateway = new GoogleCalendarGateway({ ...CLIENT, rootUrl: google.url, tokenUrl: google.tokenUrl, authBaseUrl: google.authBaseUrl, timeoutMs: 5_000 });
  });
  afterAll(() => google.close());

  const newGrant = (): CalendarGrant => ({ refreshToken: google.issueRefreshToken(), calendarId: `${randomUUID()}@group.calendar.google.com` });
  const session = (overrides: Partial<CalendarEventRequest> = {}): CalendarEventRequest => ({
    eventId: calendarEventIdOf(randomUUID()),
    summary: 'Sesión de psicoterapia',
    description: 'Reservada en PsicoPay',
    startsAt: new Date('2026-01-27T12:00:00Z'),
    endsAt: new Date('2026-01-27T12:50:00Z'),
    timeZone: ZONE,
    requestMeet: true,
    ...overrides,
  });
  const failureOf = (attempt: Promise<unknown>) => attempt.then(() => null, (error: unknown) => error);
  const insertsOf = (grant: CalendarGrant) => google.requests.filter((r) => r.method === 'POST' && r.path === `/calendar/v3/calendars/${grant.calendarId}/events`);

  it('asks for offline access to calendar events, and the code from the consent comes back as a refresh token', async () => {
    const consent = new URL(gateway.consentUrl('state-123', 'http://localhost:3000/oauth/google/callback'));
    expect(Object.fromEntries(consent.searchParams)).toMatchObject({
      access_type: 'offline', prompt: 'consent', response_type: 'code', client_id: CLIENT.clientId,
      scope: 'https://www.googleapis.com/auth/calendar.events', state: 'state-123', redirect_uri: 'http://localhost:3000/oauth/google/callback',
    });
    const back = new URL((await fetch(consent, { redirect: 'manual' })).headers.get('location') ?? '');
    expect(back.searchParams.get('state')).toBe('state-123');
    const { refreshToken } = await gateway.exchangeCode(back.searchParams.get('code') ?? '', 'http://localhost:3000/oauth/google/callback');
    const outcome = await gateway.createEvent({ refreshToken, calendarId: 'primary' }, session());
    expect(outcome.meetLink).toMatch(MEET_LINK);
  });

  it('refuses a consent that gave no refresh token, and a code used twice', async () => {
    const consent = new URL(gateway.consentUrl('s', 'http://localhost:3000/cb'));
    consent.searchParams.delete('access_type'); // online access: Google sends no refresh token
    const code = new URL((await fetch(consent, { redirect: 'manual' })).headers.get('location') ?? '').searchParams.get('code') ?? '';
    await expect(gateway.exchangeCode(code, 'http://localhost:3000/cb')).rejects.toThrow(new PermanentIntegrationFailure('Google token endpoint: no refresh token in the answer'));
    const reused = await failureOf(gateway.exchangeCode(code, 'http://localhost:3000/cb'));
    expect(reused).toBeInstanceOf(PermanentIntegrationFailure);
    expect(reused).not.toBeInstanceOf(GrantRevoked);
    expect((reused as Error).message).toBe('token exchange: 400 invalid_grant');
  });

  it('an insert answered 429, then 401 (expired token), then 500, retried the way the dispatcher does, makes one event with its Meet link', async () => {
    const grant = newGrant();
    const request = session();
    const refreshesBefore = google.tokenRefreshes;

    google.failNext(429, 1, { retryAfter: 7 });
    const first = await failureOf(gateway.createEvent(grant, request));
    expect(first).toEqual(new TransientIntegrationFailure('Google Calendar events.insert: 429 rateLimitExceeded', 7_000, 429));

    google.expireAccessTokens();
    google.failNext(500, 1);
    const second = await failureOf(gateway.createEvent(grant, request));
    expect(second).toEqual(new TransientIntegrationFailure('Google Calendar events.insert: 500 backendError', null, 500));

    const outcome = await gateway.createEvent(grant, request);
    const events = google.events(grant.calendarId);
    expect(events).toHaveLength(1);
    expect(outcome).toEqual({ eventId: request.eventId, meetLink: events[0]?.hangoutLink, htmlLink: events[0]?.htmlLink });
    expect(outcome.meetLink).toMatch(MEET_LINK);
    // 429; 401 then, after the refresh, 500; the insert that made it. The SDK retried none of them itself.
    expect(insertsOf(grant)).toHaveLength(4);
    expect(google.tokenRefreshes - refreshesBefore).toBe(2);
    expect(insertsOf(grant).at(-1)).toMatchObject({
      query: { conferenceDataVersion: '1', sendUpdates: 'none' },
      body: {
        id: request.eventId,
        summary: 'Sesión de psicoterapia',
        description: 'Reservada en PsicoPay',
        start: { dateTime: '2026-01-27T09:00:00-03:00', timeZone: ZONE },
        end: { dateTime: '2026-01-27T09:50:00-03:00', timeZone: ZONE },
        conferenceData: { createRequest: { requestId: request.eventId, conferenceSolutionKey: { type: 'hangoutsMeet' } } },
      },
    });
  });

  it('a retry after a success (a crash before the outcome was recorded) answers the same event: Google says 409, still one event', async () => {
    const grant = newGrant();
    const request = session();
    const created = await gateway.createEvent(grant, request);
    expect(await gateway.createEvent(grant, request)).toEqual(created);
    expect(google.events(grant.calendarId)).toHaveLength(1);
  });

  it('a 500 whose insert took effect is retried into a 409, which answers the event it made', async () => {
    const grant = newGrant();
    const request = session();
    google.failNext(500, 1, { applied: true });
    expect(await failureOf(gateway.createEvent(grant, request))).toBeInstanceOf(TransientIntegrationFailure);
    const outcome = await gateway.createEvent(grant, request);
    const events = google.events(grant.calendarId);
    expect(events).toHaveLength(1);
    expect(outcome.meetLink).toBe(events[0]?.hangoutLink);
  });

  it('an event without a Meet conference has no link', async () => {
    expect(await gateway.createEvent(newGrant(), session({ requestMeet: false }))).toMatchObject({ meetLink: null });
  });

  it('a revoked grant is GrantRevoked, whether the client held a working access token or not', async () => {
    const grant = newGrant();
    await gateway.createEvent(grant, session());
    google.revokeGrant(grant.refreshToken);
    expect(await failureOf(gateway.createEvent(grant, session()))).toEqual(new GrantRevoked('Google Calendar events.insert: 400 invalid_grant', 400));
    const fresh = new GoogleCalendarGateway({ ...CLIENT, rootUrl: google.url, tokenUrl: google.tokenUrl });
    expect(await failureOf(fresh.busy(grant, { from: new Date('2026-01-26T03:00:00Z'), to: new Date('2026-01-27T03:00:00Z'), timeZone: ZONE }, new Set())))
      .toEqual(new GrantRevoked('Google Calendar events.list: 400 invalid_grant', 400));
  });

  it('a 403 for missing scopes is GrantRevoked (reconnect); a 403 for rate limits is transient; neither is sent twice', async () => {
    const grant = newGrant();
    google.failNext(403, 1, { reason: 'insufficientPermissions' });
    const scopes = await failureOf(gateway.createEvent(grant, session()));
    expect(scopes).toEqual(new GrantRevoked('Google Calendar events.insert: 403 insufficientPermissions', 403));
    google.failNext(403, 1, { reason: 'rateLimitExceeded' });
    expect(await failureOf(gateway.createEvent(grant, session()))).toEqual(new TransientIntegrationFailure('Google Calendar events.insert: 403 rateLimitExceeded', null, 403));
    expect(insertsOf(grant)).toHaveLength(2);
    expect(google.events(grant.calendarId)).toHaveLength(0);
  });

  it('an event Google does not know is NotFoundAtProvider; another 4xx is permanent', async () => {
    const grant = newGrant();
    const change = { startsAt: new Date('2026-01-27T13:00:00Z'), endsAt: new Date('2026-01-27T13:50:00Z'), timeZone: ZONE };
    expect(await failureOf(gateway.patchEvent(grant, calendarEventIdOf(randomUUID()), change))).toEqual(new NotFoundAtProvider('Google Calendar events.patch: 404 notFound', 404));
    expect(await failureOf(gateway.createEvent(grant, session({ eventId: 'Not-Base32hex!' })))).toEqual(new PermanentIntegrationFailure('Google Calendar events.insert: 400 invalid', 400));
  });

  it('an outage at the token endpoint is transient, and the library does not retry it on its own', async () => {
    const grant = newGrant();
    const refreshesBefore = google.tokenRefreshes;
    // One failure only: had the library retried, the insert would have gone through.
    google.failNextTokenRequests(503, 1);
    expect(await failureOf(gateway.createEvent(grant, session()))).toEqual(new TransientIntegrationFailure('Google Calendar events.insert: 503 internal_failure', null, 503));
    expect(google.tokenRefreshes - refreshesBefore).toBe(1);
    expect(insertsOf(grant)).toHaveLength(0);
  });

  it('no answer at all (nothing listening) is transient', async () => {
    const closed = await startFakeGoogle(CLIENT);
    await closed.close();
    const offline = new GoogleCalendarGateway({ ...CLIENT, rootUrl: closed.url, tokenUrl: closed.tokenUrl, timeoutMs: 2_000 });
    expect(await failureOf(offline.createEvent(newGrant(), session()))).toEqual(new TransientIntegrationFailure('Google Calendar events.insert: ECONNREFUSED'));
  });

  it('patch moves the event in the therapist\'s zone; deleting it twice is fine; one access token serves them all', async () => {
    const grant = newGrant();
    const request = session();
    const refreshesBefore = google.tokenRefreshes;
    const created = await gateway.createEvent(grant, request);
    const moved = await gateway.patchEvent(grant, request.eventId, { startsAt: new Date('2026-01-28T17:00:00Z'), endsAt: new Date('2026-01-28T17:50:00Z'), timeZone: ZONE });
    expect(moved).toEqual(created);
    expect(google.events(grant.calendarId)[0]).toMatchObject({
      summary: 'Sesión de psicoterapia',
      start: { dateTime: '2026-01-28T14:00:00-03:00', timeZone: ZONE },
      end: { dateTime: '2026-01-28T14:50:00-03:00', timeZone: ZONE },
    });
    await gateway.deleteEvent(grant, request.eventId);
    await gateway.deleteEvent(grant, request.eventId); // Google answers 410 deleted
    await gateway.deleteEvent(grant, calendarEventIdOf(randomUUID())); // and 404 for one it never had
    expect(google.events(grant.calendarId)).toMatchObject([{ id: request.eventId, status: 'cancelled' }]);
    expect(google.requests.filter((r) => r.method === 'DELETE').at(-1)).toMatchObject({ query: { sendUpdates: 'none' } });
    expect(google.tokenRefreshes - refreshesBefore).toBe(1);
  });

  it('busy time over a week: a timed event, one instance of a weekly one, an all-day event; not a free event, nor ours', async () => {
    const grant = newGrant();
    const at = (local: string) => ({ dateTime: local, timeZone: ZONE });
    google.addEvent(grant.calendarId, { summary: 'Supervisión', start: at('2026-01-28T15:00:00-03:00'), end: at('2026-01-28T16:00:00-03:00') });
    google.addEvent(grant.calendarId, { summary: 'Grupo de estudio', start: at('2026-01-06T11:00:00-03:00'), end: at('2026-01-06T12:00:00-03:00'), recurrence: ['RRULE:FREQ=WEEKLY;BYDAY=TU'] });
    google.addEvent(grant.calendarId, { summary: 'Feriado', start: { date: '2026-01-30' }, end: { date: '2026-01-31' } });
    google.addEvent(grant.calendarId, { summary: 'Recordatorio', transparency: 'transparent', start: at('2026-01-29T10:00:00-03:00'), end: at('2026-01-29T11:00:00-03:00') });
    google.addEvent(grant.calendarId, { summary: 'Otra semana', start: at('2026-02-04T10:00:00-03:00'), end: at('2026-02-04T11:00:00-03:00') });
    const ours = session({ startsAt: new Date('2026-01-29T15:00:00Z'), endsAt: new Date('2026-01-29T15:50:00Z') });
    await gateway.createEvent(grant, ours);

    const week = { from: new Date('2026-01-26T03:00:00Z'), to: new Date('2026-02-02T03:00:00Z'), timeZone: ZONE };
    expect(await gateway.busy(grant, week, new Set([ours.eventId]))).toEqual({
      intervals: [
        { startsAt: '2026-01-27T14:00:00.000Z', endsAt: '2026-01-27T15:00:00.000Z' },
        { startsAt: '2026-01-28T18:00:00.000Z', endsAt: '2026-01-28T19:00:00.000Z' },
      ],
      allDayDates: ['2026-01-30'],
    });
    const lists = google.requests.filter((r) => r.method === 'GET' && r.path === `/calendar/v3/calendars/${grant.calendarId}/events`);
    expect(lists.length).toBeGreaterThan(1); // followed nextPageToken
    expect(lists[0]?.query).toEqual({
      timeMin: '2026-01-26T03:00:00.000Z', timeMax: '2026-02-02T03:00:00.000Z', timeZone: ZONE,
      singleEvents: 'true', orderBy: 'startTime', showDeleted: 'false', maxResults: '2500',
    });
  });
});
