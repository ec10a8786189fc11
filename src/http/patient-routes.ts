import { Router } from 'express';
import { registerPatient, updatePatientProfile } from '../../commands/patient-profiles.js';
import { forgetPatient } from '../../commands/patients.js';
import { requireTherapist } from '../../infra/http/auth.js';
import { parseBody, parseQuery } from '../../infra/http/parse.js';
import { BadRequest } from '../../infra/http/problem.js';
import { decodeCursor, searchPatients } from '../../queries/patient-search.js';
import { patientNotes, patientPreferencesOf, patientProfile, patientStatistics, upcomingSessions } from '../../queries/patients.js';
import type { Services } from '../services.js';
import { therapistCaller } from './caller.js';
import { addPatientNoteRoutes } from './patient-note-routes.js';
import { historyQuery, patientParams, patientProfileBody, patientSearchQuery } from './patient-input.js';
import { toCsv } from '../../infra/http/csv.js';
import { patientHistory, patientHistoryAll } from '../../queries/patient-history.js';
import { rateLimits } from './rate-limits.js';


/** The therapist's patients (spec Appendix D, "Patient Management"): profiles, search, forgetting. */
export function patientRoutes(services: Services): Router {
  const router = Router();
  router.use('/api/patients', requireTherapist(services.db, services.clock), rateLimits(services).therapist);
  const now = () => services.clock.now();
  const profileOf = (therapistId: string, id: string) => services.reads.asTherapist(therapistId, (db) => patientProfile(db, therapistId, id, now()));

  router.post('/api/patients', async (req, res) => {
    const { therapistId, caller } = therapistCaller(res);
    const profile = parseBody(patientProfileBody(now().toISOString().slice(0, 10)), req);
    const { patientId, position } = await registerPatient(services, therapistId, profile, caller);
    await services.settle(position);
    res.status(201).location(`/api/patients/${patientId}`).json(await profileOf(therapistId, patientId));
  });

  router.get('/api/patients', async (req, res) => {
    const { therapistId } = therapistCaller(res);
    const search = parseQuery(patientSearchQuery, req.query);
    try {
      decodeCursor(search.cursor, search.sort);
    } catch {
      throw new BadRequest([{ field: 'cursor', message: 'Not a cursor this API handed out for this order' }]);
    }
    res.json(await services.reads.asTherapist(therapistId, (db) => searchPatients(db, therapistId, search, now())));
  });

  router.get('/api/patients/:id', async (req, res) => {
    const { therapistId } = therapistCaller(res);
    const { id } = parseQuery(patientParams, req.params);
    const patient = await services.reads.asTherapist(therapistId, async (db) => {
      const profile = await patientProfile(db, therapistId, id, now());
      // One after the other: the reads share the transaction's one connection.
      const statistics = await patientStatistics(db, id, now());
      const upcoming = await upcomingSessions(db, id, now());
      const preferences = await patientPreferencesOf(db, id);
      const pinnedNotes = await patientNotes(db, therapistId, id, { pinnedOnly: true });
      return { ...profile, statistics, upcomingSessions: upcoming, preferences, pinnedNotes };
    });
    res.json(patient);
  });

  router.put('/api/patients/:id', async (req, res) => {
    const { therapistId, caller } = therapistCaller(res);
    const { id } = parseQuery(patientParams, req.params);
    const profile = parseBody(patientProfileBody(now().toISOString().slice(0, 10)), req);
    const { position } = await updatePatientProfile(services, therapistId, id, profile, caller);
    await services.settle(position);
    res.json(await profileOf(therapistId, id));
  });

  // Every session and booking request of the patient, 50 a page; the whole of it as CSV (format=csv or Accept: text/csv).
  router.get('/api/patients/:id/history', async (req, res) => {
    const { therapistId } = therapistCaller(res);
    const { id } = parseQuery(patientParams, req.params);
    const { page, format, ...filter } = parseQuery(historyQuery, req.query);
    const profile = await profileOf(therapistId, id);
    if (format === 'csv' || (format === undefined && req.accepts(['application/json', 'text/csv']) === 'text/csv')) {
      const entries = await services.reads.asTherapist(therapistId, (db) => patientHistoryAll(db, therapistId, id, filter));
      const name = profile.forgotten ? 'forgotten' : profile.name;
      res
        .type('text/csv; charset=utf-8')
        .attachment(`patient-${id}-history.csv`)
        .send(toCsv(['patient', 'kind', 'id', 'status', 'startsAt', 'endsAt', 'price', 'paymentStatus', 'source', 'bookingId'], entries.map((e) => [name, e.kind, e.id, e.status, e.startsAt, e.endsAt, e.price, e.paymentStatus, e.source, e.bookingId])));
      return;
    }
    res.json(await services.reads.asTherapist(therapistId, (db) => patientHistory(db, therapistId, id, filter, page)));
  });

  addPatientNoteRoutes(router, services);

  // BR-PP-005, the right to be forgotten: the patient's data keys are destroyed; history stays.
  router.post('/api/patients/:id/forget', async (req, res) => {
    const { therapistId, caller } = therapistCaller(res);
    const { id } = parseQuery(patientParams, req.params);
    const { position } = await forgetPatient(services, therapistId, id, caller);
    await services.settle(position);
    res.json(await profileOf(therapistId, id));
  });

  return router;
}
