import { Router } from 'express';
import { z } from 'zod';
import { addException, changeBookingPolicies, defineWeeklySchedule, removeException, removeWeeklyBlock } from '../../commands/availability.js';
import { formatLocalDate, localDayOf, timeZone } from '../../domain/availability/time.js';
import { scheduleWarnings } from '../../domain/therapist/calendar-warnings.js';
import { requireTherapist } from '../../infra/http/auth.js';
import { parseBody, parseQuery } from '../../infra/http/parse.js';
import { availabilityJson } from '../../queries/availability.js';
import { calendarHead } from '../../queries/calendar-facts.js';
import { exceptionView, ruleView, therapistTimezone, upcomingExceptions, weeklyRules } from '../../queries/therapist-availability.js';
import type { Services } from '../services.js';
import { therapistCaller } from './caller.js';
import { rateLimits } from './rate-limits.js';
import { cleanText, idParam } from './text.js';

export const rulesBody = z.strictObject({
  rules: z
    .array(z.strictObject({ dayOfWeek: z.number(), startTime: z.string(), endTime: z.string() }))
    .max(70, 'At most 70 blocks a week'),
});

export const exceptionBody = z.strictObject({
  date: z.string(),
  allDay: z.boolean().optional(),
  startTime: z.string().nullable().optional(),
  endTime: z.string().nullable().optional(),
  isAvailable: z.boolean().optional(),
  reason: cleanText(255).nullable().optional(),
});

export const settingsBody = z.strictObject({
  sessionDurationMinutes: z.number().optional(),
  bufferBeforeMinutes: z.number().optional(),
  bufferAfterMinutes: z.number().optional(),
  minAdvanceBookingHours: z.number().optional(),
  maxAdvanceBookingDays: z.number().optional(),
  timezone: z.string().optional(),
  slotStepMinutes: z.number().nullable().optional(),
});

export const idParams = z.object({ id: idParam });

/** Availability management for the authenticated therapist (spec Appendix D). */
export function availabilityRoutes(services: Services): Router {
  const router = Router();
  router.use('/api/availability', requireTherapist(services.db, services.clock), rateLimits(services).therapist);

  router.get('/api/availability/rules', async (_req, res) => {
    const { therapistId } = therapistCaller(res);
    res.json({ rules: await services.reads.asTherapist(therapistId, (db) => weeklyRules(db, therapistId)) });
  });

  router.post('/api/availability/rules', async (req, res) => {
    const { therapistId, caller } = therapistCaller(res);
    const { rules } = parseBody(rulesBody, req);
    const written = await defineWeeklySchedule(services, therapistId, rules, caller);
    await services.settle(written.position);
    res.json({ rules: written.value.map(ruleView), warnings: written.warnings });
  });

  router.delete('/api/availability/rules/:id', async (req, res) => {
    const { therapistId, caller } = therapistCaller(res);
    const { id } = parseQuery(idParams, req.params);
    await services.settle((await removeWeeklyBlock(services, therapistId, id, caller)).position);
    res.status(204).end();
  });

  router.get('/api/availability/exceptions', async (_req, res) => {
    const { therapistId } = therapistCaller(res);
    const exceptions = await services.reads.asTherapist(therapistId, async (db) => {
      const timezone = await therapistTimezone(db, therapistId);
      return upcomingExceptions(db, therapistId, formatLocalDate(localDayOf(timeZone(timezone), services.clock.now().getTime())));
    });
    res.json({ exceptions });
  });

  router.post('/api/availability/exceptions', async (req, res) => {
    const { therapistId, caller } = therapistCaller(res);
    const body = parseBody(exceptionBody, req);
    const allDay = body.allDay ?? (body.startTime == null && body.endTime == null);
    const written = await addException(
      services,
      therapistId,
      { date: body.date, allDay, startTime: body.startTime ?? null, endTime: body.endTime ?? null, isAvailable: body.isAvailable ?? false, reason: body.reason ?? null },
      caller,
    );
    await services.settle(written.position);
    res.status(201).json({ id: written.value.exceptionId, exception: exceptionView(written.value), warnings: written.warnings });
  });

  router.delete('/api/availability/exceptions/:id', async (req, res) => {
    const { therapistId, caller } = therapistCaller(res);
    const { id } = parseQuery(idParams, req.params);
    await services.settle((await removeException(services, therapistId, id, caller)).position);
    res.status(204).end();
  });

  router.get('/api/availability/settings', async (_req, res) => {
    const { therapistId } = therapistCaller(res);
    const [head, rules] = await Promise.all([
      services.reads.asTherapistClient(therapistId, (client) => calendarHead(client, { id: therapistId })),
      services.reads.asTherapist(therapistId, (db) => weeklyRules(db, therapistId)),
    ]);
    res.json({ settings: head.policies, warnings: scheduleWarnings(rules, head.policies) });
  });

  router.put('/api/availability/settings', async (req, res) => {
    const { therapistId, caller } = therapistCaller(res);
    const changes = parseBody(settingsBody, req);
    const written = await changeBookingPolicies(services, therapistId, changes, caller);
    await services.settle(written.position);
    res.json({ settings: written.value, warnings: written.warnings });
  });

  router.get('/api/availability/preview', async (_req, res) => {
    const { therapistId } = therapistCaller(res);
    const now = services.clock.now();
    const json = await services.reads.asTherapistClient(therapistId, async (client) => {
      const head = await calendarHead(client, { id: therapistId });
      const today = localDayOf(timeZone(head.policies.timezone), now.getTime());
      const range = { startDate: formatLocalDate(today), endDate: formatLocalDate(today + 6) };
      return availabilityJson({ ...services.availabilityQuery, pool: client }, { id: therapistId }, range, now);
    });
    res.type('application/json').send(json);
  });

  return router;
}
