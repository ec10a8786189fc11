import { createHash, timingSafeEqual } from 'node:crypto';
import { Router, type RequestHandler } from 'express';
import { Unauthorized } from '../../domain/shared/domain-error.js';
import type { OutboxFigures, ProgressFigures } from '../../infra/metrics/progress-gauges.js';
import type { Services } from '../services.js';

/** A scrape must not hang on a store that accepts connections and never answers (as /ready's checks). */
const COLLECT_TIMEOUT_MS = 2_000;

/**
 * GET /metrics, Prometheus' text format, for ops. With METRICS_TOKEN set it asks for that bearer
 * token; unset, it is open like /ready: it tells counts and timings by route, command and job, never
 * a person or a request's values, and an operator keeps the port off the internet.
 */
export function metricsRoutes(services: Services): Router {
  const router = Router();
  router.get('/metrics', requireMetricsToken(services.config.metricsToken), async (_req, res) => {
    const [projections, integrations] = await Promise.all([collect(services, 'projections', () => services.projections.status()), collect(services, 'integrations', () => services.integrations.health(services.clock.now()))]);
    const progress: ProgressFigures[] = [
      ...(projections ?? []).map((p) => ({ ...p, kind: 'projection' as const })),
      ...(integrations?.reactor ?? []).map((p) => ({ ...p, kind: 'reactor' as const })),
    ];
    const outbox: OutboxFigures[] = integrations?.outbox ?? [];
    services.metrics.recordProgress(progress, outbox, [...(projections ? [] : ['projections']), ...(integrations ? [] : ['integrations'])]);
    res.type(services.metrics.contentType).send(await services.metrics.render());
  });
  return router;
}

function requireMetricsToken(token: string | undefined): RequestHandler {
  // Compared as digests: equal lengths for timingSafeEqual, and no timing tells how much of a guess was right.
  const expected = token === undefined ? undefined : digest(token);
  return (req, _res, next) => {
    if (expected) {
      const presented = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '')?.[1];
      if (!presented || !timingSafeEqual(digest(presented), expected)) throw new Unauthorized('The metrics bearer token (METRICS_TOKEN) is required');
    }
    next();
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** A collector's figures, or undefined when it failed or took too long (logged; its gauges are left out of this scrape). */
async function collect<T>(services: Services, collector: string, read: () => Promise<T>): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${COLLECT_TIMEOUT_MS} ms`)), COLLECT_TIMEOUT_MS);
  });
  try {
    return await Promise.race([read(), expired]);
  } catch (error) {
    services.logger.warn({ err: error, collector }, 'metrics collector failed');
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}
