import { Router } from 'express';
import { z } from 'zod';
import { parseQuery } from '../../infra/http/parse.js';
import { publicTherapistProfile } from '../../queries/therapist-profile.js';
import type { Services } from '../services.js';
import { SLUG_PATTERN } from '../therapist-input.js';

export const slugParams = z.object({ slug: z.string().regex(SLUG_PATTERN, 'must be a lower-case slug') });

export function publicTherapistRoutes(services: Services): Router {
  const router = Router();
  router.get('/api/public/therapists/:slug', async (req, res) => {
    const { slug } = parseQuery(slugParams, req.params);
    res.json(await publicTherapistProfile(services.reads.public, slug));
  });
  return router;
}
