import { Router } from 'express';
import { changeRecurrenceState, configureRecurrence, markNotificationsRead, modifyRecurrence } from '../../commands/recurring.js';
import { requireTherapist } from '../../infra/http/auth.js';
import { parseBody, parseQuery } from '../../infra/http/parse.js';
import { recurrenceOccurrences, recurrencesOfPatient, recurrenceView, therapistNotifications } from '../../queries/recurrences.js';
import { patientProfile } from '../../queries/patients.js';
import type { Services } from '../services.js';
import { therapistCaller } from './caller.js';
import { answerIdempotently } from './idempotent-answer.js';
import { rateLimits } from './rate-limits.js';
import { configureBody, markReadBody, modifyBody, notificationsQuery, occurrencesQuery, patientRecurrenceParams, recurrenceInput, recurrenceParams } from './recurring-input.js';

/** Recurring sessions (spec 4.4, Appendix D "Recurring Sessions") and the therapist's notifications. */
export function recurringRoutes(services: Services): Router {
  const router = Router();
  router.use(['/api/recurring', '/api/notifications'], requireTherapist(services.db, services.clock), rateLimits(services).therapist);

  router.post('/api/recurring', async (req, res) => {
    const { therapistId, caller } = therapistCaller(res);
    const body = parseBody(configureBody, req);
    await answerIdempotently(services, req, res, `recurring:${therapistId}`, body, async (recurrenceId) => {
      const { recurrence, position } = await configureRecurrence(services, therapistId, body.patientId, recurrenceInput(body), caller, recurrenceId);
      await services.settle(position);
      return { status: 201, body: recurrenceView(recurrence) };
    });
  });

  router.get('/api/recurring/:patientId', async (req, res) => {
    const { therapistId } = therapistCaller(res);
    const { patientId } = parseQuery(patientRecurrenceParams, req.params);
    const recurrences = await services.reads.asTherapist(therapistId, async (db) => {
      // 404 for someone else's patient, rather than an empty list that would say they exist nowhere.
      await patientProfile(db, therapistId, patientId, services.clock.now());
      return recurrencesOfPatient(db, therapistId, patientId);
    });
    res.json({ recurrences });
  });

  // BR-RS-005: answers how many generated sessions not paid yet would change; they do with applyToPending.
  router.put('/api/recurring/:id', async (req, res) => {
    const { therapistId, caller } = therapistCaller(res);
    const { id } = parseQuery(recurrenceParams, req.params);
    const body = parseBody(modifyBody, req);
    const result = await modifyRecurrence(services, therapistId, id, { ...recurrenceInput(body), applyToPending: body.applyToPending }, caller);
    await services.settle(result.position);
    res.json({ recurrence: recurrenceView(result.recurrence), pendingSessions: result.pendingSessions, rescheduled: result.rescheduled, keptForConflict: result.keptForConflict });
  });

  const states = { pause: 'PauseRecurrence', resume: 'ResumeRecurrence' } as const;
  for (const [path, type] of Object.entries(states)) {
    router.post(`/api/recurring/:id/${path}`, async (req, res) => {
      const { therapistId, caller } = therapistCaller(res);
      const { id } = parseQuery(recurrenceParams, req.params);
      const { recurrence, position } = await changeRecurrenceState(services, therapistId, id, type, caller);
      await services.settle(position);
      res.json(recurrenceView(recurrence));
    });
  }

  // Stops it for good; the sessions it generated stay.
  router.delete('/api/recurring/:id', async (req, res) => {
    const { therapistId, caller } = therapistCaller(res);
    const { id } = parseQuery(recurrenceParams, req.params);
    const { recurrence, position } = await changeRecurrenceState(services, therapistId, id, 'StopRecurrence', caller);
    await services.settle(position);
    res.json(recurrenceView(recurrence));
  });

  router.get('/api/recurring/:id/occurrences', async (req, res) => {
    const { therapistId } = therapistCaller(res);
    const { id } = parseQuery(recurrenceParams, req.params);
    const range = parseQuery(occurrencesQuery, req.query);
    res.json({ occurrences: await services.reads.asTherapist(therapistId, (db) => recurrenceOccurrences(db, therapistId, id, range)) });
  });

  router.get('/api/notifications', async (req, res) => {
    const { therapistId } = therapistCaller(res);
    const q = parseQuery(notificationsQuery, req.query);
    res.json({ notifications: await services.reads.asTherapist(therapistId, (db) => therapistNotifications(db, therapistId, { unreadOnly: q.unread === 'true', limit: q.limit })) });
  });

  router.post('/api/notifications/read', async (req, res) => {
    const { therapistId, caller } = therapistCaller(res);
    const { ids } = parseBody(markReadBody, req);
    const { position } = await markNotificationsRead(services, therapistId, ids, caller);
    await services.settle(position);
    res.status(204).end();
  });

  return router;
}
