import { Router } from 'express';
import { z } from 'zod';
import { parseLocalDate } from '../../domain/availability/time.js';
import { parseQuery } from '../../infra/http/parse.js';
import { availabilityJson } from '../../queries/availability.js';
import type { Services } from '../services.js';
import { SLUG_PATTERN } from '../therapist-input.js';
import { rateLimits } from './rate-limits.js';
import { localDateParam, uuidParam } from './text.js';

/** The longest range one request may ask for (a two-month calendar view). */
export const MAX_AVAILABILITY_RANGE_DAYS = 62;

const slug = z.string().regex(SLUG_PATTERN, 'Must be a lower-case slug');

export const availabilityQuery = z
  .object({
    therapistId: uuidParam('Must be a therapist id (UUID)').optional(),
    slug: slug.optional(),
    // Both or neither: without them, the next 7 days from today in the therapist's zone.
    start: localDateParam.refine((v) => parseLocalDate(v) !== null, 'Not a real calendar date').optional(),
    end: localDateParam.refine((v) => parseLocalDate(v) !== null, 'Not a real calendar date').optional(),
  })
  .superRefine((q, ctx) => {
    if (!q.therapistId && !q.slug) ctx.addIssue({ code: 'custom', path: ['therapistId'], message: 'Give therapistId or slug' });
    if (q.therapistId && q.slug) ctx.addIssue({ code: 'custom', path: ['slug'], message: 'Give therapistId or slug, not both' });
    if ((q.start === undefined) !== (q.end === undefined)) {
      ctx.addIssue({ code: 'custom', path: [q.start === undefined ? 'start' : 'end'], message: 'Give start and end together, or neither (the next 7 days)' });
      return;
    }
    if (q.start === undefined || q.end === undefined) return;
    const [first, last] = [parseLocalDate(q.start), parseLocalDate(q.end)];
    if (first === null || last === null) return;
    if (last < first) ctx.addIssue({ code: 'custom', path: ['end'], message: 'Must not be before start' });
    else if (last - first + 1 > MAX_AVAILABILITY_RANGE_DAYS) {
      ctx.addIssue({ code: 'custom', path: ['end'], message: `The range may cover at most ${MAX_AVAILABILITY_RANGE_DAYS} days` });
    }
  });

/** What patients see before booking: no authentication, no patient data. */
export function publicAvailabilityRoutes(services: Services): Router {
  const router = Router();
  router.get('/api/public/availability', rateLimits(services).publicAvailability, async (req, res) => {
    const q = parseQuery(availabilityQuery, req.query);
    const therapist = q.therapistId ? { id: q.therapistId } : { slug: q.slug ?? '' };
    const range = q.start !== undefined && q.end !== undefined ? { startDate: q.start, endDate: q.end } : undefined;
    const json = await availabilityJson(services.availabilityQuery, therapist, range, services.clock.now());
    res.setHeader('Cache-Control', 'no-store');
    res.type('application/json').send(json);
  });
  return router;
}
