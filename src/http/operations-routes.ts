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
    const [database, eventStore, cache, projections, integrations] = await Promise.all([
      check('database', () => services.db.raw('SELECT 1')),
      check('event store', () => services.store.ping()),
      check('cache', () => services.cache.ping()),
      bounded(services.projections.status()).catch(() => []),
      bounded(integrationsCheck(services)).catch(() => ({ status: 'unknown' as const, integrations: [] })),
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
        // Degraded integrations are reported, never fatal: the API keeps serving and the outbox keeps the calls.
        integrations,
      },
    });
  });
  return router;
}

/** Per integration: its driver, what waits and what failed for good in the last day; `degraded` when any did, or calls pile up. */
async function integrationsCheck(services: Services) {
  const health = await services.integrations.health(services.clock.now());
  const list = Object.entries(health.drivers).map(([name, driver]) => {
    const outbox = health.outbox.find((o) => o.integration === name);
    const degraded = (outbox?.failedLastDay ?? 0) > 0 || (outbox?.retrying ?? 0) > 0;
    return { name, driver, status: degraded ? 'degraded' : 'ok', due: outbox?.pending ?? 0, retrying: outbox?.retrying ?? 0, failedLastDay: outbox?.failedLastDay ?? 0 };
  });
  const reactor = health.reactor[0];
  const degraded = list.some((i) => i.status === 'degraded') || (reactor !== undefined && reactor.runsHere && reactor.status === 'failed');
  return { status: degraded ? ('degraded' as const) : ('ok' as const), reactor: reactor ? { status: reactor.status, runsHere: reactor.runsHere } : null, integrations: list };
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
