import { Router } from 'express';
import { z } from 'zod';
import { patientStream } from '../../domain/patient/patient-events.js';
import { Forbidden } from '../../domain/shared/domain-error.js';
import { therapistStream } from '../../domain/therapist/streams.js';
import type { RecordedEvent } from '../../infra/event-store/event-store.js';
import { auditorOf, requireAuditor } from '../../infra/http/auth.js';
import { parseQuery } from '../../infra/http/parse.js';
import type { Services } from '../services.js';
import { rateLimits } from './rate-limits.js';
import { uuidParam } from './text.js';

const POSITION = /^(-1|\d{1,20}):(-1|\d{1,19})$/;
// A commit is a 64-bit unsigned transaction id (or EventStoreDB's commit), a prepare a signed 64-bit position.
const inRange = (value: string) => {
  const [commit = '', prepare = ''] = value.split(':');
  return BigInt(commit) <= 2n ** 64n - 1n && BigInt(prepare) <= 2n ** 63n - 1n;
};
const logQuery = z.object({
  // Where the previous page ended (its `next`): `commit:prepare`.
  after: z
    .string()
    .regex(POSITION, 'Must be a position commit:prepare, as a previous page gave it')
    .refine(inRange, 'Not a position of this log')
    .optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
const streamParams = z.object({
  streamId: z.string().regex(/^(therapist|patient)-[0-9a-fA-F-]{36}$/, 'Must be a stream id: therapist-{uuid} or patient-{uuid}').transform((v) => v.toLowerCase()),
});
const streamQuery = z.object({ fromRevision: z.coerce.number().int().min(0).default(0), limit: z.coerce.number().int().min(1).max(1000).default(100) });
const therapistParams = z.object({ therapistId: uuidParam('Must be a therapist id (UUID)') });

/**
 * The event history for auditors (read-only; issue 15 grows it): the whole log a page at a time by
 * global position, or one stream by revision. An auditor bound to one therapist reads that
 * therapist's stream and their patients' streams only.
 */
export function auditRoutes(services: Services): Router {
  const router = Router();
  router.use('/api/audit', requireAuditor(services.db, services.clock), rateLimits(services).auditor);

  router.get('/api/audit/events', async (req, res) => {
    const auditor = auditorOf(res);
    if (auditor.therapistId) throw new Forbidden(`This auditor reads one therapist's history: /api/audit/streams/${therapistStream(auditor.therapistId)}`);
    const { after, limit } = parseQuery(logQuery, req.query);
    const [commit = '-1', prepare = '-1'] = after?.split(':') ?? [];
    const events = await services.store.readAll({ after: { commit: BigInt(commit), prepare: BigInt(prepare) }, maxCount: limit });
    const last = events.at(-1);
    res.json({ events: events.map(auditView), next: last ? `${last.position.commit}:${last.position.prepare}` : (after ?? null) });
  });

  router.get('/api/audit/therapists/:therapistId/events', async (req, res) => {
    const { therapistId } = parseQuery(therapistParams, req.params);
    await mayRead(services, auditorOf(res), therapistStream(therapistId));
    const { fromRevision, limit } = parseQuery(streamQuery, req.query);
    res.json({ events: (await services.store.readStream(therapistStream(therapistId), { fromRevision, maxCount: limit })).map(auditView) });
  });

  router.get('/api/audit/streams/:streamId', async (req, res) => {
    const { streamId } = parseQuery(streamParams, req.params);
    await mayRead(services, auditorOf(res), streamId);
    const { fromRevision, limit } = parseQuery(streamQuery, req.query);
    res.json({ streamId, events: (await services.store.readStream(streamId, { fromRevision, maxCount: limit })).map(auditView) });
  });

  return router;
}

async function mayRead(services: Services, auditor: { therapistId: string | null }, streamId: string): Promise<void> {
  if (!auditor.therapistId || streamId === therapistStream(auditor.therapistId)) return;
  if (streamId.startsWith('patient-')) {
    // A patient stream opens with the registration that names its therapist.
    const [first] = await services.store.readStream(patientStream(streamId.slice('patient-'.length)), { maxCount: 1 });
    if ((first?.data as { therapistId?: unknown } | undefined)?.therapistId === auditor.therapistId) return;
  }
  throw new Forbidden("This auditor reads one therapist's history only");
}

/** Data as recorded: personal fields stay sealed (ciphertext under their subject's key). */
function auditView(event: RecordedEvent) {
  return {
    eventId: event.eventId,
    streamId: event.streamId,
    revision: event.streamRevision,
    position: `${event.position.commit}:${event.position.prepare}`,
    type: event.type,
    schemaVersion: event.schemaVersion,
    recordedAt: event.recordedAt.toISOString(),
    actor: event.metadata.actor,
    correlationId: event.metadata.correlationId,
    causationId: event.metadata.causationId,
    data: event.data,
  };
}
