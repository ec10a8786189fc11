import { Router } from 'express';
import { z } from 'zod';
import { cancelBooking, confirmBooking, recordSessionOutcome, reissuePatientToken, revokePatientToken, startPayment } from '../../commands/booking.js';
import { requireTherapist } from '../../infra/http/auth.js';
import { parseBody, parseQuery } from '../../infra/http/parse.js';
import { parseLocalDate } from '../../domain/availability/time.js';
import { therapistBookings, therapistSessions } from '../../queries/bookings.js';
import type { Services } from '../services.js';
import { therapistCaller } from './caller.js';
import { answerIdempotently } from './idempotent-answer.js';
import { manualSessionBody } from './recurring-input.js';
import { recordSessionPayment, scheduleManualSession } from '../../commands/recurring.js';
import { rateLimits } from './rate-limits.js';
import { cleanText, localDateParam, uuidParam } from './text.js';

export const idParams = z.object({ id: uuidParam('Must be an id (UUID)') });
const realDate = localDateParam.refine((v) => parseLocalDate(v) !== null, 'Not a real calendar date');
export const listQuery = z.object({
  status: z.enum(['pending_payment', 'payment_processing', 'confirmed', 'cancelled', 'expired']).optional(),
  from: realDate.optional(),
  to: realDate.optional(),
  page: z.coerce.number().int().min(1).default(1),
  pageSize: z.coerce.number().int().min(1).max(200).default(50),
});
export const sessionsQuery = z.object({ from: z.iso.datetime({ offset: true }), to: z.iso.datetime({ offset: true }) }).refine((q) => Date.parse(q.to) > Date.parse(q.from), { path: ['to'], message: 'Must be after from' });
export const reasonBody = z.strictObject({ reason: cleanText(500).nullable().default(null) });
export const paymentBody = z.strictObject({ reference: cleanText(200).nullable().default(null) });

/** The therapist's booking pipeline and agenda (spec Appendix D, "Bookings (Therapist View)"). */
export function therapistBookingRoutes(services: Services): Router {
  const router = Router();
  router.use(['/api/bookings', '/api/sessions'], requireTherapist(services.db, services.clock), rateLimits(services).therapist);

  router.get('/api/bookings', async (req, res) => {
    const { therapistId } = therapistCaller(res);
    const filter = parseQuery(listQuery, req.query);
    res.json(await services.reads.asTherapist(therapistId, (db) => therapistBookings(db, therapistId, filter)));
  });

  router.post('/api/bookings/:id/payment-received', async (req, res) => {
    const { therapistId, caller } = therapistCaller(res);
    const { id } = parseQuery(idParams, req.params);
    const { reference } = parseBody(paymentBody, req);
    const { booking, latePayment, position } = await startPayment(services, therapistId, id, { method: 'bank_transfer', reference }, caller);
    await services.settle(position);
    // A payment for a request that is over is recorded (to match or refund), and the answer says so.
    res.json({ id: booking.bookingId, status: booking.status, paymentExpiresAt: booking.paymentExpiresAt, latePaymentRecorded: latePayment });
  });

  router.post('/api/bookings/:id/confirm', async (req, res) => {
    const { therapistId, caller } = therapistCaller(res);
    const { id } = parseQuery(idParams, req.params);
    const { booking, position } = await confirmBooking(services, therapistId, id, caller);
    await services.settle(position);
    res.json({ id: booking.bookingId, status: booking.status, sessionId: booking.sessionId });
  });

  router.post('/api/bookings/:id/cancel', async (req, res) => {
    const { therapistId, caller } = therapistCaller(res);
    const { id } = parseQuery(idParams, req.params);
    const { reason } = parseBody(reasonBody, req);
    const { booking, position } = await cancelBooking(services, therapistId, id, { kind: 'therapist' }, reason, caller);
    await services.settle(position);
    res.json({ id: booking.bookingId, status: booking.status });
  });

  // The patient's link: a new one (every earlier one stops working), or none until a new one is issued.
  router.post('/api/bookings/:id/patient-token', async (req, res) => {
    const { therapistId, caller } = therapistCaller(res);
    const { id } = parseQuery(idParams, req.params);
    const { token, position } = await reissuePatientToken(services, therapistId, id, caller);
    await services.settle(position);
    res.status(201).json({ bookingId: id, patientToken: token });
  });

  router.delete('/api/bookings/:id/patient-token', async (req, res) => {
    const { therapistId, caller } = therapistCaller(res);
    const { id } = parseQuery(idParams, req.params);
    await services.settle((await revokePatientToken(services, therapistId, id, caller)).position);
    res.status(204).end();
  });

  // A one-off session for one of the therapist's patients (it may take a slot a recurrence holds: BR-RS-002).
  router.post('/api/sessions', async (req, res) => {
    const { therapistId, caller } = therapistCaller(res);
    const body = parseBody(manualSessionBody, req);
    await answerIdempotently(services, req, res, `sessions:${therapistId}`, body, async (sessionId) => {
      const { session, position } = await scheduleManualSession(services, therapistId, body, caller, sessionId);
      await services.settle(position);
      return { status: 201, body: { id: session.sessionId, status: session.status, startsAt: session.startsAt, endsAt: session.endsAt, price: session.price, paymentStatus: session.paymentStatus, source: 'manual' } };
    });
  });

  router.post('/api/sessions/:id/payment-received', async (req, res) => {
    const { therapistId, caller } = therapistCaller(res);
    const { id } = parseQuery(idParams, req.params);
    const { reference } = parseBody(paymentBody, req);
    const { session, position } = await recordSessionPayment(services, therapistId, id, reference, caller);
    await services.settle(position);
    res.json({ id, status: session.status, paymentStatus: session.paymentStatus });
  });

  router.get('/api/sessions', async (req, res) => {
    const { therapistId } = therapistCaller(res);
    const q = parseQuery(sessionsQuery, req.query);
    res.json({ sessions: await services.reads.asTherapist(therapistId, (db) => therapistSessions(db, therapistId, { from: new Date(q.from), to: new Date(q.to) })) });
  });

  const outcomes = { complete: 'completed', 'no-show': 'no_show', cancel: 'cancelled' } as const;
  for (const [path, outcome] of Object.entries(outcomes)) {
    router.post(`/api/sessions/:id/${path}`, async (req, res) => {
      const { therapistId, caller } = therapistCaller(res);
      const { id } = parseQuery(idParams, req.params);
      const { reason } = parseBody(reasonBody, req);
      const { session, position } = await recordSessionOutcome(services, therapistId, id, outcome, reason, caller);
      await services.settle(position);
      res.json({ id, status: session?.status ?? outcome });
    });
  }

  return router;
}
