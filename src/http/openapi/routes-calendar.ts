import { exceptionBody, idParams as blockParams, rulesBody, settingsBody } from '../availability-routes.js';
import { manualSessionBody } from '../recurring-input.js';
import { idParams, listQuery, paymentBody, reasonBody, sessionsQuery } from '../therapist-booking-routes.js';
import { therapistRoute as route, type DocumentedRoute } from './registry.js';
import { idempotencyHeader } from './routes-public.js';
import { availabilityAnswer, jsonObject, slotUnavailableProblem } from './responses.js';

const json = (description: string, status: 200 | 201 = 200) => ({ status, description, schema: jsonObject });
const gone = { status: 204, description: 'Removed' } as const;

/** The therapist's calendar: weekly schedule, exceptions, policies, the booking pipeline and the agenda. */
export const CALENDAR_ROUTES: readonly DocumentedRoute[] = [
  route('get', '/api/availability/rules', 'availability', 'The weekly schedule', { ok: json('`{ rules }`') }),
  route('post', '/api/availability/rules', 'availability', 'Replace the weekly schedule (0 = Sunday)', {
    description: 'Unchanged blocks keep their ids.',
    body: rulesBody,
    ok: json('`{ rules, warnings }`'),
  }),
  route('delete', '/api/availability/rules/:id', 'availability', 'Remove one weekly block', { params: blockParams, ok: gone, problems: [404] }),
  route('get', '/api/availability/exceptions', 'availability', 'Upcoming date exceptions', { ok: json('`{ exceptions }`') }),
  route('post', '/api/availability/exceptions', 'availability', 'Add a date exception: all day, partial, or extra availability', {
    description: '`isAvailable: true` opens time outside the weekly schedule; answers `warnings` (EC-AV-002).',
    body: exceptionBody,
    ok: json('`{ id, exception, warnings }`', 201),
  }),
  route('delete', '/api/availability/exceptions/:id', 'availability', 'Remove a date exception', { params: blockParams, ok: gone, problems: [404] }),
  route('get', '/api/availability/settings', 'availability', 'Session length, buffers, notice, horizon, time zone, slot step', { ok: json('`{ settings, warnings }`') }),
  route('put', '/api/availability/settings', 'availability', 'Change booking policies', { body: settingsBody, ok: json('`{ settings, warnings }` (EC-AV-003)') }),
  route('get', '/api/availability/preview', 'availability', 'The next 7 days as a patient sees them', { ok: { status: 200, description: 'Slots per local date', schema: availabilityAnswer } }),
  route('get', '/api/bookings', 'bookings', 'The booking pipeline', { query: listQuery, ok: json('A page of booking requests') }),
  route('post', '/api/bookings/:id/payment-received', 'bookings', 'A bank transfer started: the slot is held until the payment deadline', {
    description: 'For a request already over, the payment is kept (`latePaymentRecorded: true`), never dropped.',
    params: idParams,
    body: paymentBody,
    ok: json('`{ id, status, paymentExpiresAt, latePaymentRecorded }`'),
    problems: [404, 409],
  }),
  route('post', '/api/bookings/:id/confirm', 'bookings', 'Confirm a booking by hand: the session exists from here on', {
    params: idParams,
    ok: json('`{ id, status, sessionId }`'),
    problems: [404, 409],
  }),
  route('post', '/api/bookings/:id/cancel', 'bookings', 'Cancel a booking (frees the slot; a confirmed one cancels its session)', {
    params: idParams,
    body: reasonBody,
    ok: json('`{ id, status }`'),
    problems: [404, 409],
  }),
  route('post', '/api/bookings/:id/patient-token', 'bookings', 'A new link for the patient: every earlier one stops working', {
    params: idParams,
    ok: json('`{ bookingId, patientToken }`, shown once', 201),
    problems: [404],
  }),
  route('delete', '/api/bookings/:id/patient-token', 'bookings', 'No patient link until a new one is issued', { params: idParams, ok: gone, problems: [404] }),
  route('get', '/api/sessions', 'sessions', 'The agenda between two instants', { query: sessionsQuery, ok: json('`{ sessions }`') }),
  route('post', '/api/sessions', 'sessions', 'A one-off session (source `manual`) under the booking guard', {
    description: 'It may take a slot a recurrence holds (that occurrence is then skipped, BR-RS-002).',
    headers: idempotencyHeader,
    body: manualSessionBody,
    ok: json('`{ id, status, startsAt, endsAt, price, paymentStatus, source }`', 201),
    problems: [404, 409],
    conflict: slotUnavailableProblem,
  }),
  route('post', '/api/sessions/:id/payment-received', 'sessions', 'A pending session paid (bank transfer)', {
    params: idParams,
    body: paymentBody,
    ok: json('`{ id, status, paymentStatus }`'),
    problems: [404, 409],
  }),
  ...(['complete', 'no-show', 'cancel'] as const).map((outcome) =>
    route('post', `/api/sessions/:id/${outcome}`, 'sessions', `Record the session's outcome: ${outcome}`, {
      params: idParams,
      body: reasonBody,
      ok: json('`{ id, status }`'),
      problems: [404, 409],
    }),
  ),
];
