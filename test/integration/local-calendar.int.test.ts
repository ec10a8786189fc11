import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { calendarEventIdOf } from '../../infra/integrations/google/calendar-event-id.js';
import { LocalCalendarGateway } from '../../infra/integrations/local/local-calendar.js';
import { createKnex, migrateToLatest, type Knex } from '../../infra/postgres/knex.js';
import { NotFoundAtProvider } from '../../integrations/integration-errors.js';
import type { CalendarEventRequest, CalendarGrant } from '../../integrations/ports.js';
import { devGoogleRoutes } from '../../src/http/dev-google-routes.js';
import { createTestDatabase } from '../support/database.js';

const ZONE = 'America/Argentina/Buenos_Aires';

/** The local calendar driver on real PostgreSQL, and its consent page over real HTTP. */
describe('Local calendar driver', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let db: Knex;
  let server: Server;
  let baseUrl: string;
  let calendar: LocalCalendarGateway;
  beforeAll(async () => {
    database = await createTestDatabase('local_calendar');
    db = createKnex(database.url, 2);
    await migrateToLatest(db);
    server = express().use(devGoogleRoutes()).listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => server.once('listening', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    calendar = new LocalCalendarGateway({ db, baseUrl });
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await db.destroy();
    await database.drop();
  });

  const grant = (): CalendarGrant => ({ refreshToken: 'local-refresh-test', calendarId: `local-${randomUUID()}` });
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
  const rows = (g: CalendarGrant) => db('app.local_calendar_events').where({ calendar_id: g.calendarId }).select('event_id', 'starts_at', 'ends_at', 'time_zone', 'meet_link', 'status');

  it('creating the same event twice keeps one row and answers the same Meet link', async () => {
    const g = grant();
    const request = session();
    const first = await calendar.createEvent(g, request);
    const again = await calendar.createEvent(g, request);
    expect(first.meetLink).toMatch(/^https:\/\/meet\.google\.com\/[a-z]{3}-[a-z]{4}-[a-z]{3}$/);
    expect(again).toEqual(first);
    expect(await rows(g)).toEqual([
      { event_id: request.eventId, starts_at: request.startsAt, ends_at: request.endsAt, time_zone: ZONE, meet_link: first.meetLink, status: 'confirmed' },
    ]);
  });

  it('keeps no summary or description (they would be personal data), and no link when no Meet was asked for', async () => {
    const g = grant();
    expect(await calendar.createEvent(g, session({ requestMeet: false }))).toMatchObject({ meetLink: null, htmlLink: null });
    expect(JSON.stringify(await db('app.local_calendar_events').where({ calendar_id: g.calendarId }))).not.toMatch(/Sesión|PsicoPay/);
  });

  it('patch moves the event; delete cancels it, and deleting again or an unknown event is fine', async () => {
    const g = grant();
    const request = session();
    const created = await calendar.createEvent(g, request);
    const change = { startsAt: new Date('2026-01-28T17:00:00Z'), endsAt: new Date('2026-01-28T17:50:00Z'), timeZone: ZONE };
    expect(await calendar.patchEvent(g, request.eventId, change)).toEqual(created);
    await calendar.deleteEvent(g, request.eventId);
    await calendar.deleteEvent(g, request.eventId);
    await calendar.deleteEvent(g, calendarEventIdOf(randomUUID()));
    expect(await rows(g)).toMatchObject([{ starts_at: change.startsAt, ends_at: change.endsAt, status: 'cancelled' }]);
    await expect(calendar.patchEvent(g, calendarEventIdOf(randomUUID()), change)).rejects.toBeInstanceOf(NotFoundAtProvider);
  });

  it('a local calendar holds only our own events: no busy time', async () => {
    const range = { from: new Date('2026-01-26T03:00:00Z'), to: new Date('2026-02-02T03:00:00Z'), timeZone: ZONE };
    expect(await calendar.busy(grant(), range, new Set())).toEqual({ intervals: [], allDayDates: [] });
  });

  it('the consent page consents at once: back to our callback with a code and the state, exchanged for a refresh token', async () => {
    const callback = `${baseUrl}/oauth/google/callback?from=settings`;
    const consent = new URL(calendar.consentUrl('state-abc', callback));
    expect(consent.origin + consent.pathname).toBe(`${baseUrl}/dev/google/consent`);
    const answer = await fetch(consent, { redirect: 'manual' });
    expect(answer.status).toBe(302);
    const back = new URL(answer.headers.get('location') ?? '');
    expect(back.origin + back.pathname).toBe(`${baseUrl}/oauth/google/callback`);
    expect(back.searchParams.get('from')).toBe('settings');
    expect(back.searchParams.get('state')).toBe('state-abc');
    const { refreshToken } = await calendar.exchangeCode(back.searchParams.get('code') ?? '', callback);
    expect(refreshToken).toMatch(/^local-refresh-[0-9a-f]{32}$/);
  });

  it('the consent page sends a code only back to this service\'s own origin', async () => {
    const consent = new URL(calendar.consentUrl('state-abc', 'https://evil.example/steal'));
    const answer = await fetch(consent, { redirect: 'manual' });
    expect(answer.status).toBe(400);
    expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await answer.json()).toEqual({ type: 'about:blank', title: 'Bad Request', status: 400, detail: 'redirect_uri must be on this service\'s origin' });
    expect((await fetch(`${baseUrl}/dev/google/consent?state=s`, { redirect: 'manual' })).status).toBe(400);
  });
});
