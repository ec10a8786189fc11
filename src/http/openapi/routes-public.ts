import { z } from 'zod';
import { KEY_PATTERN } from '../../../infra/http/idempotency.js';
import { bookingRequestBody } from '../booking-input.js';
import { callbackQuery } from '../integration-routes.js';
import { availabilityQuery } from '../public-availability-routes.js';
import { bookingParams, patientCancelBody, tokenQuery } from '../public-booking-routes.js';
import { slugParams } from '../public-therapist-routes.js';
import { docsAssetParams } from './docs-assets.js';
import type { DocumentedRoute } from './registry.js';
import { availabilityAnswer, bookingRequested, jsonObject, publicBookingStatus, slotUnavailableProblem } from './responses.js';

export const idempotencyHeader = z.object({
  'idempotency-key': z
    .string()
    .regex(KEY_PATTERN)
    .optional()
    .meta({ description: 'Makes a retry safe: the same key and body get the first answer, and nothing is written twice (24 h)' }),
});

/** What anyone may call: probes, the documentation, the public portal, the patient's own booking, the providers' callbacks. */
export const PUBLIC_ROUTES: readonly DocumentedRoute[] = [
  { method: 'get', path: '/health', tag: 'operations', access: 'ops', summary: 'Liveness', ok: { status: 200, description: '`{ status: "ok" }`', schema: jsonObject } },
  {
    method: 'get',
    path: '/ready',
    tag: 'operations',
    access: 'ops',
    summary: 'Readiness: database, event store, cache, scheduler and each projection',
    description: 'Which check failed, never why: the reason is in the logs and `projections status`.',
    ok: { status: 200, description: 'Ready', schema: jsonObject },
    problems: [503],
  },
  {
    method: 'get',
    path: '/metrics',
    tag: 'operations',
    access: 'metrics',
    summary: 'Prometheus metrics: HTTP latency by route, command outcomes, projection and reactor lag, jobs, integrations, cache',
    ok: { status: 200, description: "Prometheus' text exposition format", media: 'text/plain' },
  },
  { method: 'get', path: '/api/openapi.json', tag: 'documentation', access: 'public', summary: 'This document (OpenAPI 3.1)', ok: { status: 200, description: 'The OpenAPI document', schema: jsonObject } },
  { method: 'get', path: '/api/docs', tag: 'documentation', access: 'public', summary: 'The interactive API reference', ok: { status: 200, description: 'An HTML page', media: 'text/html' } },
  {
    method: 'get',
    path: '/api/docs/:asset',
    tag: 'documentation',
    access: 'public',
    summary: "The reference page's scripts and styles",
    params: docsAssetParams,
    ok: { status: 200, description: 'A script or a style sheet', media: '*/*' },
  },
  {
    method: 'get',
    path: '/api/public/therapists/:slug',
    tag: 'public',
    access: 'public',
    summary: "A therapist's public profile (no contact data)",
    params: slugParams,
    ok: { status: 200, description: 'The profile', schema: jsonObject },
    problems: [404],
  },
  {
    method: 'get',
    path: '/api/public/availability',
    tag: 'public',
    access: 'public',
    limited: true,
    summary: 'Bookable slots per local date, as patients see them',
    description: "By `therapistId` or `slug`; `start` and `end` together (≤ 62 days) or neither (the next 7 days from today in the therapist's zone).",
    query: availabilityQuery,
    ok: { status: 200, description: 'Slots available | booked | locked | unavailable, with `freshness`', schema: availabilityAnswer },
    problems: [404],
  },
  {
    method: 'post',
    path: '/api/public/bookings',
    tag: 'public',
    access: 'public',
    limited: true,
    summary: 'Request a booking',
    description: 'Holds the slot for the patient; 409 `slot_unavailable` with up to five alternatives when it is taken.',
    headers: idempotencyHeader,
    body: bookingRequestBody,
    ok: { status: 201, description: 'Requested: the slot is held, the patient token is shown once', schema: bookingRequested },
    problems: [404, 409],
    conflict: slotUnavailableProblem,
  },
  {
    method: 'get',
    path: '/api/public/bookings/:id',
    tag: 'patient',
    access: 'patient',
    limited: true,
    summary: "The patient's own booking",
    params: bookingParams,
    query: tokenQuery,
    ok: { status: 200, description: "The booking's status", schema: publicBookingStatus },
    problems: [404],
  },
  {
    method: 'get',
    path: '/api/public/booking/:id',
    tag: 'patient',
    access: 'patient',
    limited: true,
    summary: "The patient's own booking (the spec's singular spelling)",
    params: bookingParams,
    query: tokenQuery,
    ok: { status: 200, description: "The booking's status", schema: publicBookingStatus },
    problems: [404],
  },
  {
    method: 'get',
    path: '/api/public/bookings/:id/calendar.ics',
    tag: 'patient',
    access: 'patient',
    limited: true,
    summary: 'Add a confirmed booking to a calendar (RFC 5545)',
    params: bookingParams,
    query: tokenQuery,
    ok: { status: 200, description: "An iCalendar file in the therapist's zone", media: 'text/calendar' },
    problems: [404, 409],
  },
  {
    method: 'post',
    path: '/api/public/bookings/:id/cancel',
    tag: 'patient',
    access: 'patient-body',
    limited: true,
    summary: 'The patient cancels, with the token handed out at booking',
    params: bookingParams,
    body: patientCancelBody,
    ok: { status: 200, description: "The booking's new status", schema: publicBookingStatus },
    problems: [404, 409],
  },
  {
    method: 'post',
    path: '/api/webhooks/mercadopago',
    tag: 'webhooks',
    access: 'mercadopago',
    summary: "Mercado Pago's payment notification",
    description: 'Verified by `x-signature` before anything else, recorded for the reactors and answered at once. The body is the provider\'s; only `type` and `data.id` are read.',
    body: jsonObject,
    ok: { status: 200, description: '`{ received, handled, duplicate? }`', schema: jsonObject },
  },
  {
    method: 'post',
    path: '/api/webhooks/twilio/status',
    tag: 'webhooks',
    access: 'twilio',
    summary: "Twilio's message status callback",
    description: 'Verified by `X-Twilio-Signature` over the URL and the form parameters.',
    body: jsonObject,
    bodyMedia: 'application/x-www-form-urlencoded',
    ok: { status: 204, description: 'Recorded' },
  },
  {
    method: 'get',
    path: '/api/integrations/google/callback',
    tag: 'integrations',
    access: 'google',
    limited: true,
    summary: "Google's OAuth consent comes back here",
    description: 'The `state` is signed by this service and names the therapist; a forged or expired one changes nothing.',
    query: callbackQuery,
    ok: { status: 200, description: 'A page telling the therapist the calendar is connected', media: 'text/html' },
  },
];
