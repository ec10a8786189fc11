import { Router } from 'express';
import type { Services } from '../services.js';

/** Longest any readiness check may take: a store that accepts connections but never answers must not hang /ready. */
export const READY_CHECK_TIMEOUT_MS = 2_000;

/** Liveness and readiness, for load balancers and ops. */
export function operationsRoutes(services: Services): Router {
  const router = Router();
  router.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/ready', async (_req, res) => {
    const check = checker(services);
    const [database, eventStore, cache, projections] = await Promise.all([
      check('database', () => services.db.raw('SELECT 1')),
      check('event store', () => services.store.ping()),
      check('cache', () => services.cache.ping()),
      bounded(services.projections.status()).catch(() => []),
    ]);
    const scheduler = services.scheduler ? services.scheduler.health() : { ok: true, backend: 'disabled', lastHeartbeat: null };
    // While the store drops the log reader, it resubscribes; meanwhile the read models fall behind.
    const reader = services.projections.readerHealth();
    // Only what this process runs decides its readiness: an API-only process serves whatever a projector process does.
    const projectionsOk = projections.filter((p) => p.runsHere).every((p) => p.status === 'running') && (reader?.connected ?? true);
    // A cache that is down only slows answers (reads miss), so it is reported but does not fail readiness.
    const ready = database.ok && eventStore.ok && scheduler.ok && projectionsOk;
    res.status(ready ? 200 : 503).json({
      status: ready ? 'ready' : 'not_ready',
      // Unauthenticated: which projection failed, never why (ops read that with `projections status`).
      checks: {
        database,
        // A count only: the foreign events' streams name another application's data.
        eventStore: { ...eventStore, kind: services.eventStoreKind, subscription: reader, foreignEventsSkipped: services.store.health?.().foreignEventsSkipped ?? 0 },
        cache: { ...cache, kind: services.cache.kind },
        scheduler,
        projections: projections.map(({ error: _why, ...rest }) => rest),
      },
    });
  });
  return router;
}

function bounded<T>(work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${READY_CHECK_TIMEOUT_MS} ms`)), READY_CHECK_TIMEOUT_MS);
  });
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}

/** Unauthenticated, so a failure says only that it failed; the reason (hosts, users) goes to the log. */
function checker(services: Services) {
  return async (name: string, probe: () => Promise<unknown>): Promise<{ ok: boolean; error?: string }> => {
    try {
      await bounded(probe());
      return { ok: true };
    } catch (error) {
      services.logger.warn({ err: error, check: name }, 'readiness check failed');
      return { ok: false, error: error instanceof Error && error.message.startsWith('no answer within') ? 'timeout' : 'unreachable' };
    }
  };
}
