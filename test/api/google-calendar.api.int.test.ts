import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../infra/clock.js';
import { calendarEventIdOf } from '../../infra/integrations/google/calendar-event-id.js';
import { calendarGrantOf } from '../../integrations/calendar-grants.js';
import { bookingBody, MONDAY_8AM, openTherapist } from '../support/calendar-fixtures.js';
import { startFakeGoogle, type FakeGoogle } from '../support/fakes/google-server.js';
import { startPublicAddress } from '../support/public-address.js';
import { startTestService, type TestService } from '../support/service.js';

/**
 * The therapist's Google Calendar through the real googleapis SDK, pointed at a local server speaking
 * Google's OAuth2 and Calendar v3 wire formats: connecting (the grant sealed in the log), one event
 * per confirmed session whatever Google answers on the way, the Meet link shown to both sides, the
 * event deleted with the session, a revoked grant disconnecting the calendar without losing the
 * session, and the calendar's own busy times taken out of the public availability.
 */

const CLIENT_ID = 'psicopay-test.apps.googleusercontent.com';
const CLIENT_SECRET = 'fake-google-client-secret';
const ZONE = 'America/Argentina/Buenos_Aires';
/** Tuesday 2027-03-02 in Buenos Aires, as instants: what the therapist's agenda is asked for. */
const TUESDAY = { from: '2027-03-02T03:00:00.000Z', to: '2027-03-03T03:00:00.000Z' };

interface SlotJson {
  time: string;
  status: string;
}


type Therapist = Awaited<ReturnType<typeof openTherapist>>;

describe('Google Calendar through the googleapis SDK', () => {
  // One Google (its calendars are shared by every grant it issues) and one service per specification.
  let fake: FakeGoogle;
  let publicAddress: Awaited<ReturnType<typeof startPublicAddress>>;
  let service: TestService;
  let clock: ManualClock;

  beforeEach(async () => {
    clock = new ManualClock(MONDAY_8AM);
    fake = await startFakeGoogle({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, calendarTimeZone: ZONE });
    publicAddress = await startPublicAddress();
    service = await startTestService({
      clock,
      env: {
        GOOGLE_OAUTH_CLIENT_ID: CLIENT_ID,
        GOOGLE_OAUTH_CLIENT_SECRET: CLIENT_SECRET,
        GOOGLE_API_ROOT_URL: fake.url,
        GOOGLE_OAUTH_TOKEN_URL: fake.tokenUrl,
        GOOGLE_OAUTH_AUTH_URL: fake.authBaseUrl,
        PUBLIC_BASE_URL: publicAddress.url,
      },
    });
    publicAddress.pointAt(service.baseUrl);
  });
  afterEach(async () => {
    await service.close();
    await publicAddress.close();
    await fake.close();
  });

  /** The consent, followed as a browser would: to Google's page, which consents at once and sends the browser back to us. */
  async function consent(therapist: Therapist): Promise<{ callbackUrl: URL }> {
    const started = await service.request('POST', '/api/integrations/google/connect', { token: therapist.token });
    expect(started.status).toBe(200);
    const consentUrl = new URL(String(started.json.consentUrl));
    expect(`${consentUrl.origin}${consentUrl.pathname}`).toBe(fake.authBaseUrl);
    expect(consentUrl.searchParams.get('access_type')).toBe('offline');
    expect(consentUrl.searchParams.get('redirect_uri')).toBe(`${publicAddress.url}/api/integrations/google/callback`);
    const atGoogle = await fetch(consentUrl, { redirect: 'manual' });
    expect(atGoogle.status).toBe(302);
    const callbackUrl = new URL(atGoogle.headers.get('location') ?? '');
    expect(`${callbackUrl.origin}${callbackUrl.pathname}`).toBe(`${publicAddress.url}/api/integrations/google/callback`);
    return { callbackUrl };
  }

  async function connect(therapist: Therapist): Promise<string> {
    const { callbackUrl } = await consent(therapist);
    const back = await fetch(callbackUrl);
    expect(back.status).toBe(200);
    const grant = await grantOf(therapist);
    if (!grant) throw new Error('no grant after the callback');
    return grant.refreshToken;
  }

  /** The plaintext grant, opened with the service's own keys (what the dispatcher calls Google with). */
  const grantOf = (therapist: Therapist) => calendarGrantOf({ store: service.services.store, keys: service.services.keys, calendar: service.services.integrations.gateways.calendar }, therapist.id);

  async function requestedBooking(therapist: Therapist, time: string, extra: Record<string, unknown> = {}) {
    const booked = await service.request('POST', '/api/public/bookings', { body: bookingBody(therapist.id, time, extra) });
    expect(booked.status).toBe(201);
    return { bookingId: String(booked.json.id), patientToken: String(booked.json.patientToken) };
  }

  async function confirm(therapist: Therapist, bookingId: string): Promise<string> {
    expect((await service.request('POST', `/api/bookings/${bookingId}/payment-received`, { token: therapist.token, body: {} })).status).toBe(200);
    const confirmed = await service.request('POST', `/api/bookings/${bookingId}/confirm`, { token: therapist.token });
    expect(confirmed.status).toBe(200);
    return String(confirmed.json.sessionId);
  }

  const outcomes = async (therapist: Therapist, type: string) =>
    (await service.services.store.readStream(`integrations-${therapist.id}`)).filter((e) => e.type === type).map((e) => e.data as Record<string, unknown>);
  const connection = async (therapist: Therapist) => (await service.services.store.readStream(`calendar-${therapist.id}`)).map((e) => ({ type: e.type, data: e.data as Record<string, unknown> }));
  const row = async (key: string) =>
    (await service.services.db('app.integration_dispatches').where({ key }).first()) as { status: string; attempts: number; next_attempt_at: Date; last_error: string | null } | undefined;
  /** Moves the clock past the row's next attempt and runs the dispatcher (the poller may get there first). */
  async function retryNow(key: string): Promise<void> {
    const pending = await row(key);
    expect(pending?.status).toBe('pending');
    clock.set(new Date((pending?.next_attempt_at.getTime() ?? 0) + 1));
    await service.services.integrations.dispatcher.runDue();
  }
  const liveEvents = () => fake.events('primary').filter((e) => e.status !== 'cancelled');
  const tuesdaySlots = async (therapist: Therapist) => {
    const res = await service.request('GET', `/api/public/availability?therapistId=${therapist.id}&start=2027-03-02&end=2027-03-02`);
    expect(res.status).toBe(200);
    const [day] = res.json.days as { slots: SlotJson[] }[];
    return { freshness: res.json.freshness as { calendar?: { source: string; state: string; asOf: string | null } }, slots: Object.fromEntries((day?.slots ?? []).map((s) => [s.time, s.status])) };
  };

  it('given the consent at Google, when the browser comes back to the callback, then the calendar is connected with its refresh token sealed, never in plaintext in the log', async () => {
    const therapist = await openTherapist(service);
    expect((await service.request('GET', '/api/integrations', { token: therapist.token })).json.googleCalendar).toEqual({ status: 'not_connected' });

    const refreshToken = await connect(therapist);

    const events = await connection(therapist);
    expect(events).toEqual([{ type: 'GoogleCalendarConnected', data: expect.objectContaining({ calendarId: 'primary', connectedAt: MONDAY_8AM }) as unknown }]);
    expect(events[0]?.data.refreshToken).not.toBe(refreshToken);
    expect(refreshToken).toMatch(/^1\/\//);
    // The whole log, once it shows the connection (readAll stops below transactions still running elsewhere).
    const wholeLog = async () => JSON.stringify(await service.services.store.readAll(), (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
    await expect.poll(wholeLog, { timeout: 20_000 }).toContain('GoogleCalendarConnected');
    expect(await wholeLog()).not.toContain(refreshToken);
    const listed = await service.request('GET', '/api/integrations', { token: therapist.token });
    expect(listed.json).toMatchObject({ drivers: { google: 'google' }, googleCalendar: { status: 'connected', calendarId: 'primary', connectedAt: MONDAY_8AM } });
  });

  it('given a forged or expired state, when the callback is called with a good code, then 403 and nothing is appended', async () => {
    const therapist = await openTherapist(service);
    const other = await openTherapist(service);
    const before = (await service.services.store.readAll()).length;

    // Another therapist's id under this one's signature.
    const { callbackUrl: forged } = await consent(therapist);
    const [, expires, mac] = (forged.searchParams.get('state') ?? '').split('.');
    forged.searchParams.set('state', `${other.id}.${expires ?? ''}.${mac ?? ''}`);
    expect((await fetch(forged)).status).toBe(403);

    // A state signed fifteen minutes ago and more.
    const { callbackUrl: expired } = await consent(therapist);
    clock.advance(15 * 60_000 + 1_000);
    expect((await fetch(expired)).status).toBe(403);

    expect((await service.services.store.readAll()).length).toBe(before);
    expect(await connection(therapist)).toEqual([]);
    expect(await connection(other)).toEqual([]);
  });

  it('given Google answering 429, then 401 (an expired access token), then 500, when the dispatcher retries, then the calendar holds exactly one event for the session, with its Meet link shown to therapist and patient', async () => {
    const therapist = await openTherapist(service);
    await connect(therapist);
    const { bookingId, patientToken } = await requestedBooking(therapist, '10:00', { patientName: 'Lucía Fernández', patientPhone: '+5491155551234' });

    fake.failNext(429, 1);
    const sessionId = await confirm(therapist, bookingId);
    const key = `google:create:${sessionId}`;
    await expect.poll(async () => (await row(key))?.last_error ?? '', { timeout: 20_000 }).toContain('429');
    expect(fake.insertCalls).toBe(1);

    fake.expireAccessTokens();
    fake.failNext(500, 1);
    const refreshes = fake.tokenRefreshes;
    await retryNow(key);
    await expect.poll(async () => (await row(key))?.last_error ?? '', { timeout: 20_000 }).toContain('500');
    // The expired token was answered 401, refreshed once, and the insert made again (answered 500).
    expect(fake.insertCalls).toBe(3);
    expect(fake.tokenRefreshes).toBe(refreshes + 1);

    await retryNow(key);
    await expect.poll(async () => (await row(key))?.status, { timeout: 20_000 }).toBe('done');
    expect(fake.insertCalls).toBe(4);

    const events = liveEvents();
    expect(events).toHaveLength(1);
    const [event] = events;
    expect(event).toMatchObject({
      id: calendarEventIdOf(sessionId),
      summary: 'Sesión - Lucía Fernández',
      start: { dateTime: '2027-03-02T10:00:00-03:00', timeZone: ZONE },
      end: { dateTime: '2027-03-02T10:50:00-03:00', timeZone: ZONE },
    });
    expect(event?.description).toContain('+5491155551234');
    // Every insert asked for a Meet conference.
    const inserts = fake.requests.filter((r) => r.method === 'POST' && r.path === '/calendar/v3/calendars/primary/events');
    expect(inserts).toHaveLength(4);
    for (const insert of inserts) {
      expect(insert.query.conferenceDataVersion).toBe('1');
      expect(insert.body).toMatchObject({ conferenceData: { createRequest: { conferenceSolutionKey: { type: 'hangoutsMeet' } } } });
    }
    const meetLink = event?.hangoutLink ?? '';
    expect(meetLink).toMatch(/^https:\/\/meet\.google\.com\/[a-z]{3}-[a-z]{4}-[a-z]{3}$/);

    expect(await outcomes(therapist, 'CalendarEventCreated')).toEqual([expect.objectContaining({ key, sessionId, eventId: calendarEventIdOf(sessionId), meetLink, driver: 'real' })]);
    const agenda = async () => ((await service.request('GET', `/api/sessions?from=${TUESDAY.from}&to=${TUESDAY.to}`, { token: therapist.token })).json.sessions as { id: string; meetLink: string | null }[]);
    await expect.poll(async () => (await agenda()).find((s) => s.id === sessionId)?.meetLink, { timeout: 20_000 }).toBe(meetLink);
    const patientView = async () => (await service.request('GET', `/api/public/bookings/${bookingId}?token=${encodeURIComponent(patientToken)}`)).json;
    await expect.poll(async () => (await patientView()).meetLink, { timeout: 20_000 }).toBe(meetLink);
  });

  it('given Google making the event but its answer lost on the way back, when the dispatcher retries, then the insert answers 409 and the existing event is recorded: still exactly one', async () => {
    const therapist = await openTherapist(service);
    await connect(therapist);
    const { bookingId } = await requestedBooking(therapist, '09:00', { patientName: 'Pedro Sosa' });
    fake.failNext(503, 1, { applied: true });
    const sessionId = await confirm(therapist, bookingId);
    const key = `google:create:${sessionId}`;
    await expect.poll(async () => (await row(key))?.last_error ?? '', { timeout: 20_000 }).toContain('503');
    expect(liveEvents()).toHaveLength(1);

    await retryNow(key);
    await expect.poll(async () => (await row(key))?.status, { timeout: 20_000 }).toBe('done');
    expect(fake.insertCalls).toBe(2);
    // The existing event is brought to the session as it stands now (it may have moved meanwhile).
    expect(fake.requests.filter((r) => r.method === 'PATCH' && r.path === `/calendar/v3/calendars/primary/events/${calendarEventIdOf(sessionId)}`)).toHaveLength(1);
    const events = liveEvents();
    expect(events).toHaveLength(1);
    expect(await outcomes(therapist, 'CalendarEventCreated')).toEqual([expect.objectContaining({ eventId: calendarEventIdOf(sessionId), meetLink: events[0]?.hangoutLink })]);
  });

  it('given a session with its event, when the therapist cancels the session, then the event is deleted at Google and CalendarEventDeleted is recorded', async () => {
    const therapist = await openTherapist(service);
    await connect(therapist);
    const { bookingId } = await requestedBooking(therapist, '11:00', { patientName: 'Martín López' });
    const sessionId = await confirm(therapist, bookingId);
    await expect.poll(async () => (await row(`google:create:${sessionId}`))?.status, { timeout: 20_000 }).toBe('done');
    expect(liveEvents().map((e) => e.id)).toEqual([calendarEventIdOf(sessionId)]);

    const cancelled = await service.request('POST', `/api/sessions/${sessionId}/cancel`, { token: therapist.token, body: { reason: 'El paciente avisó' } });
    expect(cancelled.status).toBe(200);

    await expect.poll(async () => outcomes(therapist, 'CalendarEventDeleted'), { timeout: 20_000 }).toEqual([expect.objectContaining({ key: `google:delete:${sessionId}`, sessionId, eventId: calendarEventIdOf(sessionId) })]);
    expect(liveEvents()).toEqual([]);
    expect(fake.events('primary').find((e) => e.id === calendarEventIdOf(sessionId))?.status).toBe('cancelled');
    expect(fake.requests.filter((r) => r.method === 'DELETE')).toHaveLength(1);
  });

  it('given a grant the therapist revoked at Google, when the session is confirmed, then the call fails for good, the calendar is disconnected and the therapist told, and the session stays', async () => {
    const therapist = await openTherapist(service);
    const refreshToken = await connect(therapist);
    fake.revokeGrant(refreshToken);

    // Google cannot be asked for busy times now: the booking goes ahead on our own calendar.
    const { bookingId } = await requestedBooking(therapist, '10:00', { patientName: 'Sofía Romero' });
    const sessionId = await confirm(therapist, bookingId);
    const key = `google:create:${sessionId}`;

    await expect.poll(async () => (await row(key))?.status, { timeout: 20_000 }).toBe('failed');
    expect(await outcomes(therapist, 'IntegrationCallFailed')).toEqual([
      expect.objectContaining({ key, integration: 'google', kind: 'google.create', reference: { kind: 'session', id: sessionId }, attempts: 1 }),
    ]);
    expect((await connection(therapist)).map((e) => [e.type, e.data.reason])).toEqual([['GoogleCalendarConnected', undefined], ['GoogleCalendarDisconnected', 'grant_revoked']]);
    expect(liveEvents()).toEqual([]);

    const notifications = async () => ((await service.request('GET', '/api/notifications', { token: therapist.token })).json.notifications as { kind: string }[]).map((n) => n.kind);
    await expect.poll(notifications, { timeout: 20_000 }).toEqual(expect.arrayContaining(['calendar_disconnected', 'integration_failed']));
    const listed = await service.request('GET', '/api/integrations', { token: therapist.token });
    expect(listed.json).toMatchObject({ googleCalendar: { status: 'disconnected', reason: 'grant_revoked' }, recentFailures: [expect.objectContaining({ key, integration: 'google' })] });
    // Ops see the integration degraded; the API stays in the load balancer.
    const ready = await service.request('GET', '/ready');
    expect(ready.status).toBe(200);
    expect(ready.json).toMatchObject({ status: 'ready', checks: { integrations: { status: 'degraded', integrations: expect.arrayContaining([expect.objectContaining({ name: 'google', driver: 'google', status: 'degraded', failedLastDay: 1 })]) as unknown } } });

    const agenda = await service.request('GET', `/api/sessions?from=${TUESDAY.from}&to=${TUESDAY.to}`, { token: therapist.token });
    expect(agenda.json.sessions).toEqual([expect.objectContaining({ id: sessionId, status: 'scheduled', bookingId, meetLink: null })]);
  });

  it('given busy, recurring and free events in the Google calendar, when a patient looks and books, then busy times are not offered nor bookable, free ones are; with Google failing, availability still answers and says so', async () => {
    const therapist = await openTherapist(service);
    await connect(therapist);
    // 10:00–10:50: busy time is padded with the session buffer (10 min after), so an event up to 11:00
    // would also take the 11:00 slot away; ending at 10:50 leaves 11:00 to the free event alone.
    fake.addEvent('primary', { summary: 'Dentista', start: { dateTime: '2027-03-02T10:00:00-03:00' }, end: { dateTime: '2027-03-02T10:50:00-03:00' } });
    fake.addEvent('primary', {
      summary: 'Supervisión',
      start: { dateTime: '2027-02-16T09:00:00-03:00', timeZone: ZONE },
      end: { dateTime: '2027-02-16T09:45:00-03:00', timeZone: ZONE },
      recurrence: ['RRULE:FREQ=WEEKLY;BYDAY=TU'],
    });
    fake.addEvent('primary', { summary: 'Recordatorio', transparency: 'transparent', start: { dateTime: '2027-03-02T11:00:00-03:00' }, end: { dateTime: '2027-03-02T12:00:00-03:00' } });

    const seen = await tuesdaySlots(therapist);
    expect(seen.freshness.calendar).toMatchObject({ source: 'google', state: 'live' });
    expect(seen.slots['09:00']).toBeDefined();
    expect(seen.slots['09:00']).not.toBe('available');
    expect(seen.slots['10:00']).not.toBe('available');
    expect(seen.slots['11:00']).toBe('available');

    const requestedBefore = async () => (await service.services.store.readStream(`therapist-${therapist.id}`)).filter((e) => e.type === 'BookingRequested').length;
    const refused = await service.request('POST', '/api/public/bookings', { body: bookingBody(therapist.id, '10:00') });
    expect(refused.status).toBe(409);
    expect(refused.json).toMatchObject({ code: 'slot_unavailable' });
    expect(await requestedBefore()).toBe(0);
    const booked = await service.request('POST', '/api/public/bookings', { body: bookingBody(therapist.id, '11:00') });
    expect(booked.status).toBe(201);
    expect(await requestedBefore()).toBe(1);

    // A minute later the answer is asked again, and Google fails: the last answer stands in, said to be stale.
    clock.advance(61_000);
    fake.failNext(500, 1);
    const stale = await tuesdaySlots(therapist);
    expect(stale.freshness.calendar).toMatchObject({ source: 'google', state: 'stale', asOf: MONDAY_8AM });
    expect(stale.slots['10:00']).not.toBe('available');

    // A therapist whose calendar was never read: nothing is known, and the availability says that too.
    const other = await openTherapist(service);
    await connect(other);
    fake.failNext(500, 1);
    const unknown = await tuesdaySlots(other);
    expect(unknown.freshness.calendar).toMatchObject({ source: 'google', state: 'unavailable', asOf: null });
    expect(unknown.slots).toEqual({ '09:00': 'available', '10:00': 'available', '11:00': 'available' });
  });
});
