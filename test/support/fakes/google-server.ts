import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import express, { type Request, type Response } from 'express';
import type { calendar_v3 } from 'googleapis/build/src/apis/calendar/index.js';
import { FakeCalendarStore, VALID_EVENT_ID } from './google-calendar-store.js';
import { googleError, type Reply } from './google-errors.js';

export interface FakeGoogleOptions {
  readonly clientId: string;
  readonly clientSecret: string;
  /** The calendar's own zone: where all-day events sit when a list does not name one. */
  readonly calendarTimeZone?: string;
  /** Google may answer fewer items than maxResults with a nextPageToken; this forces it. */
  readonly listPageSize?: number;
}

export interface RecordedCalendarRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, unknown>>;
  readonly body: unknown;
}

export interface ScriptedFailure {
  /** Google's `errors[0].reason`; a usual one for the status when omitted. */
  readonly reason?: string;
  /** Seconds, sent as Retry-After. */
  readonly retryAfter?: number;
  /** The call takes effect but its answer is the error: a response lost on the way back. */
  readonly applied?: boolean;
}

export interface FakeGoogle {
  /** The API root (what `rootUrl` points at). */
  readonly url: string;
  readonly tokenUrl: string;
  readonly authBaseUrl: string;
  readonly insertCalls: number;
  readonly tokenRefreshes: number;
  /** Every Calendar API call received, in order, authorised or not. */
  readonly requests: readonly RecordedCalendarRequest[];
  close(): Promise<void>;
  /** The calendar's stored events (recurring ones once, deleted ones with status cancelled). */
  events(calendarId: string): calendar_v3.Schema$Event[];
  addEvent(calendarId: string, event: calendar_v3.Schema$Event): calendar_v3.Schema$Event;
  /** The next `times` authorised Calendar calls answer `status` with Google's error JSON. */
  failNext(status: number, times: number, options?: ScriptedFailure): void;
  /** The next `times` token requests answer `status` (an outage at the token endpoint). */
  failNextTokenRequests(status: number, times: number): void;
  /** Every access token issued so far stops working; a refresh gives a working one. */
  expireAccessTokens(): void;
  /** The grant is revoked: the token endpoint refuses it and its access tokens stop working. */
  revokeGrant(refreshToken: string): void;
  /** A refresh token as if the therapist had consented already. */
  issueRefreshToken(): string;
}

const one = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const token = () => randomBytes(24).toString('base64url');

/** Google's OAuth2 endpoints and the slice of Calendar v3 we use, on 127.0.0.1, speaking their wire format. */
export async function startFakeGoogle(options: FakeGoogleOptions): Promise<FakeGoogle> {
  const store = new FakeCalendarStore(options.calendarTimeZone ?? 'America/Argentina/Buenos_Aires');
  const refreshTokens = new Map<string, { revoked: boolean }>();
  const accessTokens = new Map<string, { refreshToken: string; expired: boolean }>();
  const codes = new Map<string, { redirectUri: string; offline: boolean; scope: string }>();
  const failures: { status: number; times: number; options: ScriptedFailure }[] = [];
  const tokenFailures: { status: number; times: number }[] = [];
  const requests: RecordedCalendarRequest[] = [];
  let insertCalls = 0;
  let tokenRefreshes = 0;

  const app = express();
  const send = (res: Response, reply: Reply) => {
    res.status(reply.status).set(reply.headers ?? {});
    if (reply.body === undefined) res.end();
    else res.json(reply.body);
  };
  const tokenError = (res: Response, status: number, error: string, description: string) => res.status(status).json({ error, error_description: description });
  const issueAccessToken = (refreshToken: string, scope: string) => {
    const accessToken = token();
    accessTokens.set(accessToken, { refreshToken, expired: false });
    return { access_token: accessToken, expires_in: 3599, scope, token_type: 'Bearer' };
  };

  // The consent page, consenting at once: back to redirect_uri with a code and the state.
  app.get('/o/oauth2/v2/auth', (req, res) => {
    const redirectUri = one(req.query.redirect_uri);
    if (one(req.query.client_id) !== options.clientId || !redirectUri || one(req.query.response_type) !== 'code') {
      res.status(400).type('text/html').send('Error 400: invalid_request');
      return;
    }
    const code = `4/${token()}`;
    codes.set(code, { redirectUri, offline: one(req.query.access_type) === 'offline', scope: one(req.query.scope) ?? '' });
    const back = new URL(redirectUri);
    back.searchParams.set('code', code);
    const state = one(req.query.state);
    if (state !== undefined) back.searchParams.set('state', state);
    res.redirect(302, back.toString());
  });

  app.post('/token', express.urlencoded({ extended: false }), (req: Request<unknown, unknown, Record<string, string | undefined>>, res) => {
    const form = req.body;
    if (form.grant_type === 'refresh_token') tokenRefreshes += 1;
    const outage = tokenFailures[0];
    if (outage) {
      if ((outage.times -= 1) <= 0) tokenFailures.shift();
      return void tokenError(res, outage.status, 'internal_failure', 'Backend Error');
    }
    if (form.client_id !== options.clientId || form.client_secret !== options.clientSecret) {
      tokenError(res, 401, 'invalid_client', 'The OAuth client was not found.');
      return;
    }
    if (form.grant_type === 'authorization_code') {
      const grant = codes.get(form.code ?? '');
      if (!grant) return void tokenError(res, 400, 'invalid_grant', 'Malformed auth code.');
      if (grant.redirectUri !== form.redirect_uri) return void tokenError(res, 400, 'redirect_uri_mismatch', 'Bad Request');
      codes.delete(form.code ?? '');
      const refreshToken = `1//${token()}`;
      refreshTokens.set(refreshToken, { revoked: false });
      res.json({ ...issueAccessToken(refreshToken, grant.scope), ...(grant.offline ? { refresh_token: refreshToken } : {}) });
      return;
    }
    if (form.grant_type === 'refresh_token') {
      const grant = refreshTokens.get(form.refresh_token ?? '');
      if (!grant || grant.revoked) return void tokenError(res, 400, 'invalid_grant', 'Token has been expired or revoked.');
      res.json(issueAccessToken(form.refresh_token ?? '', 'https://www.googleapis.com/auth/calendar.events'));
      return;
    }
    tokenError(res, 400, 'unsupported_grant_type', 'Invalid grant_type: ' + (form.grant_type ?? ''));
  });

  const calendarCall = (handle: (req: Request) => Reply) => (req: Request, res: Response) => {
    requests.push({ method: req.method, path: decodeURIComponent(req.path), query: { ...req.query }, body: req.body as unknown });
    const bearer = /^Bearer (.+)$/.exec(req.get('authorization') ?? '')?.[1];
    const access = bearer === undefined ? undefined : accessTokens.get(bearer);
    if (!access || access.expired || refreshTokens.get(access.refreshToken)?.revoked !== false) {
      res.set('WWW-Authenticate', 'Bearer realm="https://accounts.google.com/", error="invalid_token"');
      const { body } = googleError(401, 'authError', 'Request had invalid authentication credentials.');
      send(res, { status: 401, body: { error: { ...(body as { error: object }).error, status: 'UNAUTHENTICATED' } } });
      return;
    }
    const failure = failures[0];
    if (failure) {
      failure.times -= 1;
      if (failure.times <= 0) failures.shift();
      if (failure.options.applied) handle(req);
      send(res, googleError(failure.status, failure.options.reason, undefined, failure.options.retryAfter));
      return;
    }
    send(res, handle(req));
  };
  const param = (req: Request, name: string) => String(req.params[name]);
  const json = express.json();

  app.post('/calendar/v3/calendars/:calendarId/events', json, (_req, _res, next) => {
    insertCalls += 1;
    next();
  }, calendarCall((req) => {
    const body = req.body as calendar_v3.Schema$Event;
    const events = store.calendar(param(req, 'calendarId'));
    if (body.id != null && !VALID_EVENT_ID.test(body.id)) return googleError(400, 'invalid', 'Invalid resource id value.');
    if (body.id != null && events.has(body.id)) return googleError(409);
    if (!body.start || !body.end) return googleError(400, 'required', 'Missing end time.');
    return { status: 200, body: store.put(param(req, 'calendarId'), body, Number(one(req.query.conferenceDataVersion) ?? 0) >= 1) };
  }));

  app.get('/calendar/v3/calendars/:calendarId/events', calendarCall((req) => {
    const instant = (name: string) => {
      const value = one(req.query[name]);
      if (value === undefined) return undefined;
      // Google insists on an offset: "2026-01-27T00:00:00" alone is a 400.
      return /(Z|[+-]\d\d:\d\d)$/.test(value) && !Number.isNaN(Date.parse(value)) ? new Date(value) : null;
    };
    const timeMin = instant('timeMin');
    const timeMax = instant('timeMax');
    if (timeMin === null || timeMax === null) return googleError(400, 'badRequest', 'Bad Request');
    const singleEvents = one(req.query.singleEvents) === 'true';
    if (one(req.query.orderBy) === 'startTime' && !singleEvents) return googleError(400, 'badRequest', 'The requested ordering is not available for the particular query.');
    const items = store.list(param(req, 'calendarId'), { timeMin, timeMax, singleEvents, showDeleted: one(req.query.showDeleted) === 'true', timeZone: one(req.query.timeZone) });
    const pageSize = Math.min(Number(one(req.query.maxResults) ?? 250), 2500, options.listPageSize ?? 2500);
    const offset = Number(Buffer.from(one(req.query.pageToken) ?? '', 'base64url').toString() || 0);
    const next = offset + pageSize < items.length ? Buffer.from(String(offset + pageSize)).toString('base64url') : undefined;
    return {
      status: 200,
      body: {
        kind: 'calendar#events', etag: `"${token()}"`, summary: param(req, 'calendarId'), updated: new Date().toISOString(),
        timeZone: options.calendarTimeZone ?? 'America/Argentina/Buenos_Aires', accessRole: 'owner', defaultReminders: [],
        ...(next ? { nextPageToken: next } : {}),
        items: items.slice(offset, offset + pageSize),
      },
    };
  }));

  app.get('/calendar/v3/calendars/:calendarId/events/:eventId', calendarCall((req) => {
    const event = store.calendar(param(req, 'calendarId')).get(param(req, 'eventId'));
    return event ? { status: 200, body: event } : googleError(404);
  }));

  app.patch('/calendar/v3/calendars/:calendarId/events/:eventId', json, calendarCall((req) => {
    const events = store.calendar(param(req, 'calendarId'));
    const event = events.get(param(req, 'eventId'));
    if (!event) return googleError(404);
    const patched = { ...event, ...(req.body as calendar_v3.Schema$Event), id: event.id, sequence: (event.sequence ?? 0) + 1, updated: new Date().toISOString() };
    events.set(param(req, 'eventId'), patched);
    return { status: 200, body: patched };
  }));

  app.delete('/calendar/v3/calendars/:calendarId/events/:eventId', calendarCall((req) => {
    const events = store.calendar(param(req, 'calendarId'));
    const event = events.get(param(req, 'eventId'));
    if (!event) return googleError(404);
    if (event.status === 'cancelled') return googleError(410);
    events.set(param(req, 'eventId'), { ...event, status: 'cancelled', updated: new Date().toISOString() });
    return { status: 204 };
  }));

  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject));
  const root = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;

  return {
    url: root,
    tokenUrl: `${root}token`,
    authBaseUrl: `${root}o/oauth2/v2/auth`,
    get insertCalls() {
      return insertCalls;
    },
    get tokenRefreshes() {
      return tokenRefreshes;
    },
    requests,
    close: () => new Promise<void>((resolve, reject) => {
      server.closeAllConnections();
      server.close((error) => (error ? reject(error) : resolve()));
    }),
    events: (calendarId) => [...store.calendar(calendarId).values()].map((event) => structuredClone(event)),
    addEvent: (calendarId, event) => store.put(calendarId, event, false),
    failNext: (status, times, scripted = {}) => void failures.push({ status, times, options: scripted }),
    failNextTokenRequests: (status, times) => void tokenFailures.push({ status, times }),
    expireAccessTokens: () => {
      for (const access of accessTokens.values()) access.expired = true;
    },
    revokeGrant: (refreshToken) => refreshTokens.set(refreshToken, { revoked: true }),
    issueRefreshToken: () => {
      const refreshToken = `1//${token()}`;
      refreshTokens.set(refreshToken, { revoked: false });
      return refreshToken;
    },
  };
}
