import { Router } from 'express';
import { z } from 'zod';
import { issueTherapistCredential, revokeTherapistCredential, rotateTherapistCredential } from '../../commands/credentials.js';
import { boundedExpiry, listTherapistTokens } from '../../infra/auth/credentials.js';
import { credentialExpiryOf, credentialIdOf, requireTherapist } from '../../infra/http/auth.js';
import { parseBody, parseQuery } from '../../infra/http/parse.js';
import type { Services } from '../services.js';
import { therapistCaller } from './caller.js';
import { rateLimits } from './rate-limits.js';
import { cleanText, uuidParam } from './text.js';

export const idParams = z.object({ id: uuidParam('Must be a token id (UUID)') });
const expiry = (now: () => Date) =>
  z.iso
    .datetime({ offset: true, message: 'Must be an ISO-8601 instant' })
    .refine((value) => Date.parse(value) > now().getTime(), 'Must be in the future')
    .transform((value) => new Date(value))
    .nullable();

/** The bodies of token commands; an expiry must lie after `now`. */
export function tokenBodies(now: () => Date) {
  return {
    createBody: z.strictObject({ label: cleanText(100).pipe(z.string({ message: 'A label is required' })), expiresAt: expiry(now).default(null) }),
    // Absent: the rotated token keeps the old one's expiry.
    rotateBody: z.strictObject({ expiresAt: expiry(now).optional() }),
  };
}

/** The therapist's own API tokens: list, create, revoke, rotate (only a token's hash is kept). */
export function tokenRoutes(services: Services): Router {
  const router = Router();
  router.use('/api/tokens', requireTherapist(services.db, services.clock), rateLimits(services).therapist);
  const now = () => services.clock.now();
  const { createBody, rotateBody } = tokenBodies(now);

  router.get('/api/tokens', async (_req, res) => {
    const { therapistId } = therapistCaller(res);
    const current = credentialIdOf(res);
    res.json({ tokens: (await listTherapistTokens(services.db, therapistId)).map((t) => ({ ...t, current: t.id === current })) });
  });

  router.post('/api/tokens', async (req, res) => {
    const { therapistId, caller } = therapistCaller(res);
    const { label, expiresAt } = parseBody(createBody, req);
    res.status(201).json(await issueTherapistCredential(services, therapistId, { label, expiresAt: boundedExpiry(expiresAt, credentialExpiryOf(res)) }, caller));
  });

  router.delete('/api/tokens/:id', async (req, res) => {
    const { therapistId, caller } = therapistCaller(res);
    const { id } = parseQuery(idParams, req.params);
    await revokeTherapistCredential(services, therapistId, id, now(), caller);
    res.status(204).end();
  });

  router.post('/api/tokens/:id/rotate', async (req, res) => {
    const { therapistId, caller } = therapistCaller(res);
    const { id } = parseQuery(idParams, req.params);
    const { expiresAt } = parseBody(rotateBody, req);
    res.status(201).json(await rotateTherapistCredential(services, therapistId, id, now(), { ...(expiresAt === undefined ? {} : { expiresAt }), notAfter: credentialExpiryOf(res) }, caller));
  });

  return router;
}
