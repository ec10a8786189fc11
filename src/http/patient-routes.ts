import { Router } from 'express';
import { z } from 'zod';
import { forgetPatient } from '../../commands/patients.js';
import { requireTherapist } from '../../infra/http/auth.js';
import { parseQuery } from '../../infra/http/parse.js';
import { patientProfile } from '../../queries/patients.js';
import type { Services } from '../services.js';
import { therapistCaller } from './caller.js';
import { rateLimits } from './rate-limits.js';
import { uuidParam } from './text.js';

const idParams = z.object({ id: uuidParam('Must be a patient id (UUID)') });

/** The therapist's patients (spec Appendix D, "Patient Management"): profiles and forgetting. */
export function patientRoutes(services: Services): Router {
  const router = Router();
  router.use('/api/patients', requireTherapist(services.db), rateLimits(services).therapist);

  router.get('/api/patients/:id', async (req, res) => {
    const { therapistId } = therapistCaller(res);
    res.json(await patientProfile(services.db, therapistId, parseQuery(idParams, req.params).id));
  });

  // BR-PP-005, the right to be forgotten: the patient's data keys are destroyed; history stays.
  router.post('/api/patients/:id/forget', async (req, res) => {
    const { therapistId, caller } = therapistCaller(res);
    const { id } = parseQuery(idParams, req.params);
    const { position } = await forgetPatient(services, therapistId, id, caller);
    await services.settle(position);
    res.json(await patientProfile(services.db, therapistId, id));
  });

  return router;
}
