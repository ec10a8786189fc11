import { calendarAsOfQuery, logQuery, streamParams, streamQuery, therapistParams } from '../audit-routes.js';
import { idParams, tokenBodies } from '../token-routes.js';
import { therapistRoute, type DocumentedRoute } from './registry.js';
import { jsonObject } from './responses.js';

const json = (description: string, status: 200 | 201 = 200) => ({ status, description, schema: jsonObject });
// An expiry must lie after the caller's clock; the shape of the bodies does not depend on which.
const { createBody, rotateBody } = tokenBodies(() => new Date(0));

/** Credentials, the calendar connection, and the auditors' event history. */
export const ACCESS_ROUTES: readonly DocumentedRoute[] = [
  therapistRoute('get', '/api/tokens', 'tokens', "The therapist's own API tokens (`current` marks the one in use)", { ok: json('`{ tokens }`') }),
  therapistRoute('post', '/api/tokens', 'tokens', 'Create a token (shown once)', { body: createBody, ok: json('The token, with its secret', 201) }),
  therapistRoute('delete', '/api/tokens/:id', 'tokens', 'Revoke a token', { params: idParams, ok: { status: 204, description: 'Revoked' }, problems: [404] }),
  therapistRoute('post', '/api/tokens/:id/rotate', 'tokens', 'Rotate a token: the old one is revoked in the same transaction', {
    params: idParams,
    body: rotateBody,
    ok: json('The new token, with its secret', 201),
    problems: [404],
  }),
  therapistRoute('get', '/api/integrations', 'integrations', 'Drivers in use, the Google calendar connection, recent failed calls', { ok: json('`{ drivers, googleCalendar, recentFailures }`') }),
  therapistRoute('post', '/api/integrations/google/connect', 'integrations', 'Start connecting Google Calendar', { ok: json('`{ consentUrl, expiresInSeconds }`') }),
  therapistRoute('delete', '/api/integrations/google', 'integrations', 'Disconnect Google Calendar', { ok: { status: 204, description: 'Disconnected' } }),
  {
    method: 'get',
    path: '/api/audit/events',
    tag: 'audit',
    access: 'auditor',
    limited: true,
    summary: 'The event history by global position, with metadata (actor, correlation, causation)',
    description:
      "Filtered by stream, therapist, event types (comma-separated) and when they were recorded; page on with `after` = the previous page's `next`. Personal data is shown only while it can still be decrypted. An auditor bound to one therapist must name that therapist (or one of their streams).",
    query: logQuery,
    ok: json('`{ events, next, scanned, atHead }`'),
    problems: [403],
  },
  {
    method: 'get',
    path: '/api/audit/therapists/:therapistId/events',
    tag: 'audit',
    access: 'auditor',
    limited: true,
    summary: "One therapist's stream",
    params: therapistParams,
    query: streamQuery,
    ok: json('`{ events }`'),
    problems: [403],
  },
  {
    method: 'get',
    path: '/api/audit/therapists/:therapistId/calendar',
    tag: 'audit',
    access: 'auditor',
    limited: true,
    summary: "A therapist's calendar as it stood at an instant (as-of replay)",
    description: 'Rules, exceptions, policies, holds, bookings and sessions replayed from the log up to `asOf`, and the public availability a patient would have seen then (seven days from `asOf`, or `start`–`end`).',
    params: therapistParams,
    query: calendarAsOfQuery,
    ok: json('The calendar as of that instant'),
    problems: [403, 404],
  },
  {
    method: 'get',
    path: '/api/audit/streams/:streamId',
    tag: 'audit',
    access: 'auditor',
    limited: true,
    summary: 'Any stream, by revision',
    description: "An auditor bound to one therapist reads that therapist's and their patients' streams only.",
    params: streamParams,
    query: streamQuery,
    ok: json('`{ streamId, events }`'),
    problems: [403],
  },
];
