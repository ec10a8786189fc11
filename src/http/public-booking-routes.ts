import { Router } from 'express';
import { z } from 'zod';
import { cancelBooking, requestBooking, type BookingRequestAnswer } from '../../commands/booking.js';
import { idempotent } from '../../infra/http/idempotency.js';
import { parseBody, parseQuery } from '../../infra/http/parse.js';
import { publicBookingStatus, therapistOfBooking } from '../../queries/bookings.js';
import type { Services } from '../services.js';
import { bookingRequestBody } from './booking-input.js';
import { callerOf } from './caller.js';
import { rateLimits } from './rate-limits.js';
import { cleanText, uuidParam } from './text.js';

const bookingParams = z.object({ id: uuidParam('Must be a booking id (UUID)') });
const patientCancelBody = z.strictObject({ token: z.string().min(1, 'The token handed out with the booking is required').max(200), reason: cleanText(500).nullable().default(null) });

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
      // The token is derived, not stored: what is remembered for a retry leaves it out, and names
      // the key it was signed with, so a retry after a key rotation hands out the same token.
      const { patientToken: _token, ...remembered } = booked;
      return { status: 201, body: { ...remembered, tokenKeyId: services.patientTokens.signingKeyId } };
    }, (value) => services.keys.fingerprint(value));
    if (answer.replayed) res.setHeader('Idempotent-Replayed', 'true');
    if (answer.problem) {
      res.status(answer.status).type('application/problem+json').json(answer.body);
      return;
    }
    const { tokenKeyId, ...stored } = answer.body as Omit<BookingRequestAnswer, 'patientToken'> & { tokenKeyId?: string };
    res.status(answer.status).location(`/api/public/bookings/${stored.id}`).json({ ...stored, patientToken: services.patientTokens.tokenFor(stored.id, tokenKeyId) });
  });

  const status = async (id: string) => publicBookingStatus(services.reads.public, id);
  router.get('/api/public/bookings/:id', async (req, res) => {
    res.json(await status(parseQuery(bookingParams, req.params).id));
  });
  // The spec's Appendix D spells this path in the singular.
  router.get('/api/public/booking/:id', async (req, res) => {
    res.json(await status(parseQuery(bookingParams, req.params).id));
  });

  router.post('/api/public/bookings/:id/cancel', limits.publicBookings, async (req, res) => {
    const { id } = parseQuery(bookingParams, req.params);
    const body = parseBody(patientCancelBody, req);
    const therapistId = await therapistOfBooking(services.db, id);
    const { position } = await cancelBooking(services, therapistId, id, { kind: 'patient', token: body.token }, body.reason, callerOf(res, { kind: 'patient', bookingId: id }));
    await services.settle(position);
    res.json(await status(id));
  });

  return router;
}


