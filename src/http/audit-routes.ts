import { Router } from 'express';
import { z } from 'zod';
import { parseLocalDate } from '../../domain/availability/time.js';
import { Forbidden, NotFound } from '../../domain/shared/domain-error.js';
import { therapistStream } from '../../domain/therapist/streams.js';
import { auditorOf, requireAuditor } from '../../infra/http/auth.js';
import { parseQuery } from '../../infra/http/parse.js';
import { calendarAsOf } from '../../queries/as-of-calendar.js';
import { historyPage, StreamOwners, type HistoryFilter } from '../../queries/audit-history.js';
import { auditViews } from '../../queries/audit-view.js';
import type { Services } from '../services.js';
import { MAX_AVAILABILITY_RANGE_DAYS } from './public-availability-routes.js';
import { rateLimits } from './rate-limits.js';
import { localDateParam, uuidParam } from './text.js';

const POSITION = /^(-1|\d{1,20}):(-1|\d{1,19})$/;
// A commit is a 64-bit unsigned transaction id (or EventStoreDB's commit), a prepare a signed 64-bit position.
const inRange = (value: string) => {
  const [commit = '', prepare = ''] = value.split(':');
  return BigInt(commit) <= 2n ** 64n - 1n && BigInt(prepare) <= 2n ** 63n - 1n;
};
const instantParam = z.iso.datetime({ offset: true, message: 'Must be an ISO-8601 instant, e.g. 2027-03-01T11:00:00Z' }).transform((v) => new Date(v));
export const logQuery = z
  .object({
    // Where the previous page ended (its `next`): `commit:prepare`.
    after: z
      .string()
      .regex(POSITION, 'Must be a position commit:prepare, as a previous page gave it')
      .refine(inRange, 'Not a position of this log')
      .optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    stream: z.string().regex(/^[a-z]{1,30}-[0-9a-fA-F-]{36}$/, 'Must be a stream id, e.g. therapist-{uuid} or patient-{uuid}').transform((v) => v.toLowerCase()).optional(),
    therapistId: uuidParam('Must be a therapist id (UUID)').optional(),
    // One event type or several, comma-separated.
    type: z.string().max(2000).regex(/^[A-Za-z]{1,100}(,[A-Za-z]{1,100})*$/, 'Must be event types, comma-separated, e.g. BookingRequested,BookingCancelled').transform((v) => v.split(',')).optional(),
    from: instantParam.optional(),
    to: instantParam.optional(),
  })
  .refine((q) => !q.from || !q.to || q.from <= q.to, { path: ['to'], message: 'Must not be before from' });
export const streamParams = z.object({
  streamId: z.string().regex(/^(therapist|patient)-[0-9a-fA-F-]{36}$/, 'Must be a stream id: therapist-{uuid} or patient-{uuid}').transform((v) => v.toLowerCase()),
});
export const streamQuery = z.object({ fromRevision: z.coerce.number().int().min(0).default(0), limit: z.coerce.number().int().min(1).max(1000).default(100) });
export const therapistParams = z.object({ therapistId: uuidParam('Must be a therapist id (UUID)') });
const realDate = localDateParam.refine((v) => parseLocalDate(v) !== null, 'Not a real calendar date');
export const calendarAsOfQuery = z
  .object({ asOf: instantParam, start: realDate.optional(), end: realDate.optional() })
  .superRefine((q, ctx) => {
    if ((q.start === undefined) !== (q.end === undefined)) ctx.addIssue({ code: 'custom', path: [q.start === undefined ? 'start' : 'end'], message: 'Give start and end together, or neither (seven days from asOf)' });
    const [first, last] = [parseLocalDate(q.start ?? ''), parseLocalDate(q.end ?? '')];
    if (first === null || last === null) return;
    if (last < first) ctx.addIssue({ code: 'custom', path: ['end'], message: 'Must not be before start' });
    else if (last - first + 1 > MAX_AVAILABILITY_RANGE_DAYS) ctx.addIssue({ code: 'custom', path: ['end'], message: `The range may cover at most ${MAX_AVAILABILITY_RANGE_DAYS} days` });
  });

/**
 * The event history for auditors (read-only): the log a page at a time by global position, filtered
 * by stream, therapist, type and when it was recorded; one stream by revision; and a therapist's
 * calendar as it stood at an instant. An auditor bound to one therapist reads that therapist's
 * streams and their patients' streams only. Sealed personal data is shown as still decryptable.
 */
export function auditRoutes(services: Services): Router {
  const router = Router();
  const owners = new StreamOwners(services.store);
  const views = (events: Parameters<typeof auditViews>[2]) => auditViews(services.keys, services.logger, events);
  router.use('/api/audit', requireAuditor(services.db, services.clock), rateLimits(services).auditor);

  router.get('/api/audit/events', async (req, res) => {
    const auditor = auditorOf(res);
    const q = parseQuery(logQuery, req.query);
    if (auditor.therapistId) {
      if (q.therapistId === undefined && q.stream === undefined) throw new Forbidden(`This auditor reads one therapist's history: give therapistId=${auditor.therapistId}`);
      if (q.therapistId !== undefined && q.therapistId !== auditor.therapistId) throw new Forbidden("This auditor reads one therapist's history only");
      if (q.stream !== undefined) await mayRead(owners, auditor, q.stream);
    }
    // A bound auditor's scan is always narrowed to their therapist, whatever else they filter by.
    const therapistId = q.therapistId ?? auditor.therapistId ?? undefined;
    const filter: HistoryFilter = {
      ...(q.stream !== undefined ? { streamId: q.stream } : {}),
      ...(therapistId ? { therapistId } : {}),
      ...(q.type ? { types: q.type } : {}),
      ...(q.from ? { from: q.from } : {}),
      ...(q.to ? { to: q.to } : {}),
    };
    const [commit, prepare] = q.after?.split(':') ?? [];
    const after = commit !== undefined && prepare !== undefined ? { commit: BigInt(commit), prepare: BigInt(prepare) } : null;
    const page = await historyPage(services.store, owners, filter, { after, limit: q.limit });
    res.json({
      events: await views(page.events),
      // Opaque to clients: pass it back as `after` to go on; the scan may stop short of a full page.
      next: page.next ? `${page.next.commit}:${page.next.prepare}` : null,
      scanned: page.scanned,
      atHead: page.atHead,
    });
  });

  router.get('/api/audit/therapists/:therapistId/events', async (req, res) => {
    const { therapistId } = parseQuery(therapistParams, req.params);
    await mayRead(owners, auditorOf(res), therapistStream(therapistId));
    const { fromRevision, limit } = parseQuery(streamQuery, req.query);
    res.json({ events: await views(await services.store.readStream(therapistStream(therapistId), { fromRevision, maxCount: limit })) });
  });

  router.get('/api/audit/therapists/:therapistId/calendar', async (req, res) => {
    const { therapistId } = parseQuery(therapistParams, req.params);
    await mayRead(owners, auditorOf(res), therapistStream(therapistId));
    const { asOf, start, end } = parseQuery(calendarAsOfQuery, req.query);
    const calendar = await calendarAsOf(services.store, therapistId, asOf, start !== undefined && end !== undefined ? { startDate: start, endDate: end } : undefined);
    if (!calendar) throw new NotFound('therapist', therapistId, `Therapist ${therapistId} had no calendar at ${asOf.toISOString()}`);
    res.json(calendar);
  });

  router.get('/api/audit/streams/:streamId', async (req, res) => {
    const { streamId } = parseQuery(streamParams, req.params);
    await mayRead(owners, auditorOf(res), streamId);
    const { fromRevision, limit } = parseQuery(streamQuery, req.query);
    res.json({ streamId, events: await views(await services.store.readStream(streamId, { fromRevision, maxCount: limit })) });
  });

  return router;
}

async function mayRead(owners: StreamOwners, auditor: { therapistId: string | null }, streamId: string): Promise<void> {
  if (!auditor.therapistId) return;
  if ((await owners.therapistOf(streamId)) !== auditor.therapistId) throw new Forbidden("This auditor reads one therapist's history only");
}
