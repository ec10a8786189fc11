import { Router, type Request, type RequestHandler } from 'express';
import { z } from 'zod';
import { authorizePatient, cancelBooking, requestBooking, type BookingRequestAnswer } from '../../commands/booking.js';
import { patientBookingStatus, therapistOfBooking } from '../../commands/booking-directory.js';
import { Conflict, Forbidden, NotFound, Unauthorized } from '../../domain/shared/domain-error.js';
import { requireRegistered } from '../../domain/therapist/registered.js';
import { therapistStream } from '../../domain/therapist/streams.js';
import { keys } from '../../integrations/dispatch-plan.js';
import { calendarFileFor } from '../../integrations/ics.js';
import { PATIENT_TOKEN_MISMATCH } from '../../domain/therapist/booking-guards.js';
import { idempotent } from '../../infra/http/idempotency.js';
import { parseBody, parseQuery } from '../../infra/http/parse.js';
import { publicBookingStatus } from '../../queries/bookings.js';
import type { Services } from '../services.js';
import { bookingRequestBody } from './booking-input.js';
import { callerOf } from './caller.js';
import { rateLimits } from './rate-limits.js';
import { cleanText, uuidParam } from './text.js';

export const bookingParams = z.object({ id: uuidParam('Must be a booking id (UUID)') });
export const patientCancelBody = z.strictObject({ token: z.string().min(1, 'The token handed out with the booking is required').max(200), reason: cleanText(500).nullable().default(null) });

export const tokenQuery = z.object({ token: z.string().min(1).max(200).optional() });

function patientTokenOf(req: Request): string {
  const bearer = /^Bearer\s+(pt_\S+)$/i.exec(req.get('authorization') ?? '')?.[1];
  const token = bearer ?? parseQuery(tokenQuery, req.query).token;
  if (!token) throw new Unauthorized('The token handed out with the booking is required: ?token=… or Authorization: Bearer pt_…');
  return token;
}

/** How long a booking's answer waits for its Mercado Pago checkout link. */
const PAYMENT_LINK_WAIT_MS = 3_000;

async function paymentLinkOf(services: Services, bookingId: string): Promise<string | null> {
  const row = await services.integrations.outcomeOf(keys.bookingPreference(bookingId), PAYMENT_LINK_WAIT_MS);
  return row?.status === 'done' ? ((row.outcome as { checkoutUrl?: string } | null)?.checkoutUrl ?? null) : null;
}

/** The patient's side of booking: no account, the booking id and its secret token are the proof. */
export function publicBookingRoutes(services: Services): Router {
  const router = Router();
  const limits = rateLimits(services);

  router.post('/api/public/bookings', limits.publicBookings, async (req, res) => {
    const body = parseBody(bookingRequestBody, req);
    const key = req.get('idempotency-key');
    // Keys are scoped to the therapist: one client's key can never reach another therapist's booking.
    const answer = await idempotent(services.db, `public-bookings:${body.therapistId}`, key, body, async (bookingId) => {
      const { answer: booked, position } = await requestBooking(
        services,
        {
          therapistId: body.therapistId,
          patient: { name: body.patientName, email: body.patientEmail, phone: body.patientPhone },
          isNewPatient: body.isNewPatient,
          reasonForConsultation: body.reasonForConsultation,
          paymentMethod: body.paymentMethod,
          requestedDate: body.requestedDate,
          requestedTime: body.requestedTime,
        },
        callerOf(res, { kind: 'patient' }),
        bookingId,
      );
      await services.settle(position);
      // The checkout link is made by the payments reactor after the commit; the answer waits briefly for it
      // (otherwise the booking's status shows it once made).
      const paymentLink = body.paymentMethod === 'mercadopago' ? await paymentLinkOf(services, bookingId) : null;
      // The token is derived, not stored: what is remembered for a retry leaves it out, and names
      // the key it was signed with, so a retry after a key rotation hands out the same token.
      const { patientToken: _token, ...remembered } = booked;
      return { status: 201, body: { ...remembered, paymentLink, tokenKeyId: services.patientTokens.signingKeyId } };
    }, (value) => services.keys.fingerprint(value));
    if (answer.replayed) res.setHeader('Idempotent-Replayed', 'true');
    if (answer.problem) {
      res.status(answer.status).type('application/problem+json').json(answer.body);
      return;
    }
    const { tokenKeyId, ...stored } = answer.body as Omit<BookingRequestAnswer, 'patientToken'> & { tokenKeyId?: string };
    res.status(answer.status).location(`/api/public/bookings/${stored.id}`).json({ ...stored, patientToken: services.patientTokens.tokenFor(stored.id, tokenKeyId) });
  });

  // The booking's calendar comes from the write side's directory, and its status from the calendar when
  // the read model disagrees: a failed or rebuilding projection never turns a patient's booking into a 404.
  const therapistOf = async (id: string) => {
    const therapistId = await therapistOfBooking(services.db, id);
    if (!therapistId) throw new NotFound('booking', id);
    return therapistId;
  };
  const status = async (therapistId: string, id: string) => patientBookingStatus(services, therapistId, id, () => publicBookingStatus(services.reads.public, id));
  // The booking's own patient only: its id and the token handed out with it (?token= in a link, or a bearer header).
  const ownStatus: RequestHandler = async (req, res) => {
    const { id } = parseQuery(bookingParams, req.params);
    const token = patientTokenOf(req);
    // A token not made for this id is refused before anything about the id is said (not even whether it exists).
    if (services.patientTokens.check(id, token) === 'invalid') throw new Forbidden(PATIENT_TOKEN_MISMATCH);
    const therapistId = await therapistOf(id);
    await authorizePatient(services, therapistId, id, token);
    res.setHeader('Cache-Control', 'no-store');
    res.json(await status(therapistId, id));
  };
  router.get('/api/public/bookings/:id', limits.publicAvailability, ownStatus);
  // The spec's Appendix D spells this path in the singular.
  router.get('/api/public/booking/:id', limits.publicAvailability, ownStatus);

  // RFC 5545 "add to calendar" for a confirmed booking, in the therapist's zone.
  router.get('/api/public/bookings/:id/calendar.ics', limits.publicAvailability, async (req, res) => {
    const { id } = parseQuery(bookingParams, req.params);
    const token = patientTokenOf(req);
    if (services.patientTokens.check(id, token) === 'invalid') throw new Forbidden(PATIENT_TOKEN_MISMATCH);
    const therapistId = await therapistOf(id);
    await authorizePatient(services, therapistId, id, token);
    const booking = await status(therapistId, id);
    if (booking.status !== 'confirmed') throw new Conflict('booking_not_confirmed', 'Only a confirmed booking can be added to a calendar', { status: booking.status });
    const therapist = requireRegistered((await services.therapists.load(therapistStream(booking.therapist.id))).state);
    // The session as the calendar has it now (it may have moved, or been cancelled by the therapist).
    const session = booking.sessionId ? therapist.sessions[booking.sessionId] : undefined;
    if (!session || session.status !== 'scheduled') throw new Conflict('session_not_scheduled', 'The session of this booking is cancelled or over', { status: session?.status ?? 'over' });
    const ics = calendarFileFor({
      uid: `${id}@psicopay`,
      dtstamp: services.clock.now(),
      startsAt: new Date(session.startsAt),
      endsAt: new Date(session.endsAt),
      timeZone: therapist.policies.timezone,
      summary: `Sesión con ${booking.therapist.name}`,
      description: booking.meetLink ? `Google Meet: ${booking.meetLink}` : 'Sesión de psicoterapia',
      location: booking.meetLink,
      url: booking.meetLink,
    });
    res.setHeader('Cache-Control', 'no-store');
    res.type('text/calendar; charset=utf-8').attachment('sesion.ics').send(ics);
  });

  router.post('/api/public/bookings/:id/cancel', limits.publicBookings, async (req, res) => {
    const { id } = parseQuery(bookingParams, req.params);
    const body = parseBody(patientCancelBody, req);
    const therapistId = await therapistOf(id);
    const { position } = await cancelBooking(services, therapistId, id, { kind: 'patient', token: body.token }, body.reason, callerOf(res, { kind: 'patient', bookingId: id }));
    await services.settle(position);
    res.json(await status(therapistId, id));
  });

  return router;
}


