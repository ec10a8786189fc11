import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import pg from 'pg';
import type { Logger } from 'pino';
import { expireBooking, expireBookingHold, noExpiryScheduler, sweepBookingDeadlines, type ExpiryScheduler } from '../commands/booking-expiry.js';
import { CommandHandler } from '../commands/command-handler.js';
import { noRecurringJobs, runRecurringGeneration, type RecurringJobScheduler } from '../commands/recurring-generation.js';
import { parsePatientTokenKeys, PatientTokens } from '../commands/patient-tokens.js';
import type { CommandContext } from '../commands/command-context.js';
import { patientDecider } from '../domain/patient/patient-decider.js';
import { patientEventCodec } from '../domain/patient/patient-events.js';
import { therapistDecider } from '../domain/therapist/therapist-decider.js';
import { therapistEventCodec } from '../domain/therapist/therapist-events.js';
import { reviveTherapistState, THERAPIST_STATE_VERSION } from '../domain/therapist/therapist-state.js';
import { MemoryCache, NoCache, type Cache } from '../infra/cache/cache.js';
import { systemClock, type Clock } from '../infra/clock.js';
import { MemoryRateLimiter, type RateLimiter } from '../infra/rate-limit/rate-limiter.js';
import type { EventStore, LogPosition } from '../infra/event-store/event-store.js';
import { PostgresEventStore } from '../infra/event-store/postgres-event-store.js';
import { KeyStore } from '../infra/crypto/key-store.js';
import { purgeExpiredKeys } from '../infra/http/idempotency.js';
import { generatedSecret, loadMasterKey } from '../infra/crypto/master-key.js';
import { createLogger } from '../infra/logging/logger.js';
import type { EmbeddedDatabase } from '../infra/postgres/embedded-postgres.js';
import { createKnex, migrateToLatest } from '../infra/postgres/knex.js';
import { ReadAccess } from '../infra/postgres/read-access.js';
import { PostgresSnapshotStore } from '../infra/postgres/postgres-snapshot-store.js';
import { defineBookingJobs } from '../infra/scheduler/booking-jobs.js';
import type { Scheduler } from '../infra/scheduler/scheduler.js';
import { ProjectionRunner } from '../projections/projection-runner.js';
import { createProjections, decodeEvent } from '../projections/registry.js';
import { AnswerCache } from '../queries/answer-cache.js';
import type { AvailabilityQueryDeps } from '../queries/availability.js';
import type { Config } from './config.js';
import { IntegrationRuntime } from '../integrations/integrations.js';
import { CountingCache } from '../infra/metrics/counting-cache.js';
import { Metrics } from '../infra/metrics/metrics.js';
import type { CalendarBusyLookup } from '../integrations/calendar-busy.js';

/** Everything the entry points wire together; passed down explicitly, never imported as a singleton. */
export interface Services extends CommandContext {
  readonly config: Config;
  readonly logger: Logger;
  readonly db: Knex;
  readonly databaseUrl: string;
  readonly store: EventStore;
  readonly eventStoreKind: 'postgres' | 'eventstoredb';
  readonly projections: ProjectionRunner;
  readonly scheduler: Scheduler | undefined;
  readonly cache: Cache;
  readonly rateLimiter: RateLimiter;
  /** The public's availability query (prepared statements on the public role's pool). */
  readonly availabilityQuery: AvailabilityQueryDeps;
  readonly reads: ReadAccess;
  /** Mercado Pago, Google Calendar, WhatsApp and e-mail: the reactor, the outbox's dispatcher, the gateways. */
  readonly integrations: IntegrationRuntime;
  /** Prometheus metrics of this process (GET /metrics). */
  readonly metrics: Metrics;
  /**
   * Waits (briefly) until this process's projections reflect `position`, so a therapist who just
   * changed something reads it back. Without local projections, or past the wait, it returns anyway.
   */
  settle(position: LogPosition | undefined): Promise<void>;
  close(): Promise<void>;
}

export interface ServiceOptions {
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Start projections and the scheduler (the CLI only needs the write side). */
  readonly background?: boolean;
}

/** A therapist stream is snapshotted every this many events, so a cold fold reads at most that many. */
const SNAPSHOT_EVERY = 200;

const READ_POOL_MAX = 10;

/** Longest a write waits for its read models before answering anyway. */
const SETTLE_TIMEOUT_MS = 3000;

export class StartupError extends Error {
  override readonly name = 'StartupError';
}

/*
 * Adapters that are not always used (EventStoreDB, Redis, MongoDB, the scheduler, the embedded
 * server) are imported only when configured: each library costs tens of MB of memory in an API process.
 */
export async function createServices(config: Config, options: ServiceOptions = {}): Promise<Services> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const background = options.background ?? true;
  const metrics = new Metrics();
  const cleanups: (() => Promise<void>)[] = [];
  const closeAll = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((error: unknown) => logger.warn({ err: error }, 'error while closing'));
  };
  try {
    let embedded: EmbeddedDatabase | undefined;
    if (!config.databaseUrl) {
      embedded = await step('start the embedded PostgreSQL', async () => {
        const { startEmbeddedPostgres } = await import('../infra/postgres/embedded-postgres.js');
        return startEmbeddedPostgres(config.dataDir);
      });
      const stop = embedded.stop.bind(embedded);
      cleanups.push(stop);
    }
    const databaseUrl = config.databaseUrl ?? embedded?.url ?? '';
    const db = createKnex(databaseUrl, config.databasePoolMax);
    cleanups.push(() => db.destroy());
    await step(`connect to PostgreSQL at ${redact(databaseUrl)}`, () => db.raw('SELECT 1'));
    await step('migrate the read-model schema', () => migrateToLatest(db));

    const store: EventStore = config.eventStoreUrl
      ? await step(`connect to EventStoreDB at ${redact(config.eventStoreUrl)}`, async () => {
          // Loaded only when used: the gRPC client weighs ~30 MB of memory.
          const { EventStoreDbEventStore } = await import('../infra/event-store/eventstoredb-event-store.js');
          return EventStoreDbEventStore.connect(config.eventStoreUrl ?? '');
        })
      : await step('prepare the PostgreSQL event store', () => PostgresEventStore.create(databaseUrl, { poolMax: config.databasePoolMax }));
    cleanups.push(() => store.close());

    const redis = config.redisUrl
      ? await step(`connect to Redis at ${redact(config.redisUrl)}`, async () => {
          const client = await import('../infra/redis/redis-client.js');
          const connection = await client.connectRedis(config.redisUrl ?? '');
          cleanups.push(() => client.closeRedis(connection));
          return connection;
        })
      : undefined;
    const cache: Cache = !config.cache.availabilityEnabled
      ? new NoCache()
      : redis
        ? new (await import('../infra/cache/redis-cache.js')).RedisCache(redis)
        : new MemoryCache();
    cleanups.push(() => cache.close());
    const rateLimiter: RateLimiter = redis ? new (await import('../infra/rate-limit/redis-rate-limiter.js')).RedisRateLimiter(redis) : new MemoryRateLimiter();
    cleanups.push(() => rateLimiter.close());


    const clock = options.clock ?? systemClock;
    const therapists = new CommandHandler(store, therapistDecider, therapistEventCodec, {
      observer: metrics.commandObserver('therapist'),
      snapshots: { store: new PostgresSnapshotStore(db), stateVersion: THERAPIST_STATE_VERSION, every: SNAPSHOT_EVERY, revive: reviveTherapistState },
      onSnapshotError: (error) => logger.warn({ err: error }, 'could not save a stream snapshot'),
      onStaleState: (streamId, cachedRevision) => logger.warn({ streamId, cachedRevision }, 'the event store is behind the cached state of a stream; dropped it and its snapshot, folded from the store'),
    });
    const patients = new CommandHandler(store, patientDecider, patientEventCodec, { observer: metrics.commandObserver('patient') });
    if (!config.dataEncryptionKey && config.databaseUrl) {
      // Each process would generate a master key of its own, and none could open another's data keys.
      throw new StartupError('DATA_ENCRYPTION_KEY must be set when DATABASE_URL is: every process on one database needs the same master key (e.g. from: openssl rand -base64 32)');
    }
    const masterKey = await step('load the data encryption key', () => Promise.resolve(loadMasterKey(config.dataEncryptionKey, config.dataDir)));
    // With the events in this same PostgreSQL, a key's commit need not wait for its WAL flush: the
    // event that uses the key commits after it, synchronously, and its flush carries the key's WAL
    // record too. With EventStoreDB the events commit elsewhere, so the key's commit is synchronous.
    const keyPool = new pg.Pool({ connectionString: databaseUrl, max: 5, application_name: 'psicopay-keys', ...(config.eventStoreUrl ? {} : { options: '-c synchronous_commit=off' }) });
    keyPool.on('error', (error) => logger.warn({ err: error }, 'key store connection dropped'));
    cleanups.push(() => keyPool.end());
    const keys = new KeyStore(db, masterKey, keyPool);
    // Read models are read as the API's roles, never as their owner (row-level security by tenant).
    const reads = await step("log in as the API's database roles", () =>
      ReadAccess.open(db, { url: databaseUrl, logger, poolMax: READ_POOL_MAX, passwordOf: (role) => keys.derivedSecret(`database role ${role}`) }),
    );
    cleanups.push(() => reads.close());
    const runner = new ProjectionRunner({
      store,
      db,
      projections: createProjections({ open: (trx, values, schema) => keys.open(values, schema, trx) }),
      decode: decodeEvent,
      logger: logger.child({ component: 'projections' }),
    });
    const projectionsLocal = background && config.projectionsEnabled;
    const scheduler = background && config.schedulerEnabled
      ? await (await import('../infra/scheduler/scheduler.js')).Scheduler.create({ postgresUrl: databaseUrl, mongodbUrl: config.mongodbUrl, logger: logger.child({ component: 'scheduler' }), onJobRun: (job, outcome, seconds) => metrics.jobRun(job, outcome, seconds) })
      : undefined;
    if (!config.patientTokenSecret && config.databaseUrl) {
      throw new StartupError('PATIENT_TOKEN_SECRET must be set when DATABASE_URL is: every process must sign and check patient tokens with the same keys (e.g. k1:$(openssl rand -base64 32))');
    }
    const patientTokens = new PatientTokens(
      parsePatientTokenKeys(config.patientTokenSecret ?? generatedSecret(config.dataDir, 'patient-token.keys', () => `k1:${randomBytes(32).toString('base64url')}`).value),
    );
    // Jobs run against `services`, which exists by the time the scheduler starts below.
    const expiry: ExpiryScheduler = scheduler
      ? defineBookingJobs(scheduler, {
          expireHold: (therapistId, bookingId) => expireBookingHold(services, therapistId, bookingId),
          expireRequest: (therapistId, bookingId) => expireBooking(services, therapistId, bookingId),
          sweep: async () => {
            const swept = await sweepBookingDeadlines(services);
            // Idempotency keys past their retention go with the same minute's sweep.
            await purgeExpiredKeys(db);
            return swept;
          },
        })
      : noExpiryScheduler;
    const recurringJobs: RecurringJobScheduler = scheduler
      ? (await import('../infra/scheduler/recurring-jobs.js')).defineRecurringJobs(
          scheduler,
          async (timezone) => {
            const summary = await runRecurringGeneration(services, { trigger: `daily:${timezone}`, timezone });
            logger.info({ summary }, 'recurring generation run');
          },
          async () => (await db<{ timezone: string }>('app.recurring_therapists').distinct('timezone')).map((r) => r.timezone),
        )
      : noRecurringJobs;

    // Made once `services` exists (its handlers send commands through it); read only after start-up.
    const late: { integrations?: IntegrationRuntime } = {};
    // Only a Google calendar can hold busy time of its own: with the local driver nothing is asked, at no cost.
    const calendarBusy: CalendarBusyLookup | undefined = config.integrations.google ? (...args) => services.integrations.busyTimes.lookup(...args) : undefined;
    const services: Services = {
      get integrations(): IntegrationRuntime {
        if (!late.integrations) throw new Error('The integrations are not ready yet');
        return late.integrations;
      },
      config,
      logger,
      metrics,
      db,
      databaseUrl,
      store,
      eventStoreKind: config.eventStoreUrl ? 'eventstoredb' : 'postgres',
      projections: runner,
      scheduler,
      therapists,
      patients,
      clock,
      cache,
      rateLimiter,
      reads,
      patientTokens,
      keys,
      bookingTimes: config.booking,
      expiry,
      recurring: config.recurring,
      recurringJobs,
      onBackgroundError: (error, what) => logger.warn({ err: error }, what),
      availabilityQuery: {
        pool: reads.publicPool,
        cache: new CountingCache(cache, metrics),
        answers: config.cache.availabilityEnabled ? new AnswerCache(undefined, (hit) => metrics.cacheLookup('answers', hit)) : undefined,
        ttlSeconds: config.cache.availabilityTtlSeconds,
        ...(calendarBusy ? { calendarBusy } : {}),
      },
      ...(calendarBusy ? { calendarBusy } : {}),
      settle: async (position) => {
        if (!projectionsLocal || !position) return;
        await runner.waitFor(position, { timeoutMs: SETTLE_TIMEOUT_MS }).catch(() => undefined);
      },
      close: closeAll,
    };
    const integrations = await step('prepare the integrations', () => IntegrationRuntime.create({ settings: config.integrations, commands: services, store, db, logger, onCall: (integration, kind, outcome) => metrics.integrationCall(integration, kind, outcome) }));
    if (projectionsLocal) {
      await step('start the projections', () => runner.start());
      cleanups.push(() => runner.stop());
    }
    late.integrations = integrations;
    if (background && config.integrations.enabled) {
      await step('start the integrations', () => integrations.start());
      cleanups.push(() => integrations.stop());
    }
    if (scheduler) {
      await step(`start the scheduler (${scheduler.backend})`, () => scheduler.start());
      cleanups.push(() => scheduler.stop());
    }
    return services;
  } catch (error) {
    await closeAll();
    throw error;
  }
}

/** Runs one start-up step, turning its failure into one line that says what could not be done. */
async function step<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    const reason = error instanceof Error ? error.message || error.name : String(error);
    throw new StartupError(`Cannot ${what}: ${reason}`);
  }
}

function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(invalid url)';
  }
}
