import { PostgresBackend } from '@agendajs/postgres-backend';
import { Agenda, type AgendaBackend, type Job } from 'agenda';
import pg from 'pg';
import type { Logger } from 'pino';

export interface SchedulerOptions {
  readonly postgresUrl: string;
  readonly mongodbUrl?: string | undefined;
  readonly logger: Logger;
  readonly name?: string;
  /** How often Agenda polls for due jobs; LISTEN/NOTIFY makes most pickups immediate anyway. */
  readonly processEvery?: string | number;
  /** Told of every job run's outcome and duration (the metrics). */
  readonly onJobRun?: (job: string, outcome: 'succeeded' | 'failed', seconds: number) => void;
}

export type JobHandler<Data> = (data: Data, job: Job<Data>) => Promise<void>;

/**
 * Agenda 6 behind a small facade: PostgreSQL backend by default, MongoDB when MONGODB_URL is set.
 * Feature modules `define` their jobs before `start`; a heartbeat job proves jobs actually run.
 */
export class Scheduler {
  readonly agenda: Agenda;
  readonly backend: 'postgres' | 'mongodb';
  private started = false;
  private lastHeartbeat: Date | undefined;
  private readonly startTasks: (() => Promise<void>)[] = [];
  private readonly onJobRun: SchedulerOptions['onJobRun'];

  /** Picks the backend: PostgreSQL, or MongoDB (loaded only then: its driver is ~25 MB) when MONGODB_URL is set. */
  static async create(options: SchedulerOptions): Promise<Scheduler> {
    if (options.mongodbUrl) {
      const { MongoBackend } = await import('@agendajs/mongo-backend');
      return new Scheduler(options, new MongoBackend({ address: options.mongodbUrl }), undefined);
    }
    const pool = new pg.Pool({ connectionString: options.postgresUrl, max: 5, application_name: 'psicopay-scheduler' });
    pool.on('error', (error) => options.logger.warn({ err: error }, 'scheduler database connection dropped'));
    return new Scheduler(options, new PostgresBackend({ pool, tableName: 'agenda_jobs' }), pool);
  }

  private constructor(
    options: SchedulerOptions,
    backend: AgendaBackend,
    /** Ours, not the backend's: an idle connection dropped at shutdown must not crash the process. */
    private readonly pool: pg.Pool | undefined,
  ) {
    this.backend = pool ? 'postgres' : 'mongodb';
    this.onJobRun = options.onJobRun;
    this.agenda = new Agenda({ backend, name: options.name ?? `psicopay-${process.pid}`, processEvery: options.processEvery ?? '2 seconds', defaultLockLifetime: 60_000 });
    this.agenda.on('error', (error: Error) => options.logger.error({ err: error }, 'scheduler error'));
    // The LISTEN connection reconnects by itself; an unheard 'error' event would end the process.
    backend.notificationChannel?.on('error', (error: Error) => options.logger.warn({ err: error }, 'scheduler notification channel error'));
    this.agenda.on('fail', (error: Error | string, job: { attrs: { name: string } }) =>
      options.logger.error({ err: error, job: job.attrs.name }, 'job failed'),
    );
    this.define<Record<string, never>>('heartbeat', () => {
      this.lastHeartbeat = new Date();
      return Promise.resolve();
    });
  }

  define<Data>(name: string, handler: JobHandler<Data>, options: { concurrency?: number } = {}): void {
    const observe = this.onJobRun;
    const run: JobHandler<Data> = observe
      ? async (data, job) => {
          const started = performance.now();
          try {
            await handler(data, job);
            observe(name, 'succeeded', (performance.now() - started) / 1000);
          } catch (error) {
            observe(name, 'failed', (performance.now() - started) / 1000);
            throw error;
          }
        }
      : handler;
    this.agenda.define<Data>(name, (job) => run(job.attrs.data, job), options.concurrency ? { concurrency: options.concurrency } : {});
  }

  /** Work to do once Agenda runs, e.g. registering recurring jobs; feature modules add theirs before start. */
  onStart(task: () => Promise<void>): void {
    this.startTasks.push(task);
  }

  async start(): Promise<void> {
    await this.agenda.start();
    for (const task of this.startTasks) await task();
    await this.agenda.every('1 minute', 'heartbeat', {});
    await this.agenda.now('heartbeat', {});
    this.started = true;
  }

  async stop(): Promise<void> {
    if (this.started) {
      this.started = false;
      await this.agenda.stop(true);
    }
    await this.pool?.end();
  }

  /** Schedules a one-off job; `uniqueKey` makes scheduling idempotent (one pending job per key). */
  async scheduleAt<Data extends Record<string, unknown>>(name: string, at: Date, data: Data, uniqueKey?: string): Promise<void> {
    const job = this.agenda.create(name, data).schedule(at);
    if (uniqueKey) job.unique({ 'data.uniqueKey': uniqueKey }, { insertOnly: true });
    await job.save();
  }

  health(): { ok: boolean; backend: string; lastHeartbeat: string | null } {
    // A heartbeat older than three periods means the job loop is stuck even if Agenda "started".
    const fresh = this.lastHeartbeat !== undefined && Date.now() - this.lastHeartbeat.getTime() < 3 * 60_000;
    return { ok: this.started && fresh, backend: this.backend, lastHeartbeat: this.lastHeartbeat?.toISOString() ?? null };
  }
}
