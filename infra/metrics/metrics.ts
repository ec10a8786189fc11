import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { DomainError } from '../../domain/shared/domain-error.js';
import { WrongExpectedRevision } from '../event-store/event-store.js';
import { ProgressGauges, type OutboxFigures, type ProgressFigures } from './progress-gauges.js';

export type JobOutcome = 'succeeded' | 'failed';
export type IntegrationCallOutcome = 'done' | 'skipped' | 'retry' | 'failed';
export type CacheLayer = 'answers' | 'facts';

/** What the command handler tells about one command (structurally its CommandObserver). */
export interface CommandMetricsObserver {
  answered(command: unknown, result: { readonly appended: number } | { readonly error: unknown }): void;
  retried(command: unknown): void;
}

// Cached availability answers take about a millisecond, so the finest buckets sit well below the defaults.
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const JOB_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300];

/**
 * The service's Prometheus metrics, one registry per service (never prom-client's global one: tests
 * run several services in one process). Labels carry route patterns, command types, error codes,
 * job and integration names only: nothing about a person, and a bounded number of series.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly httpDuration: Histogram<'route' | 'method' | 'status_class'>;
  readonly progress: ProgressGauges;
  private readonly commands: Counter<'aggregate' | 'command' | 'outcome' | 'reason'>;
  private readonly conflictRetries: Counter<'aggregate' | 'command'>;
  private readonly jobRuns: Counter<'job' | 'outcome'>;
  private readonly jobDuration: Histogram<'job'>;
  private readonly integrationCalls: Counter<'integration' | 'kind' | 'outcome'>;
  private readonly cacheLookups: Counter<'layer' | 'outcome'>;
  private readonly collectionFailures: Counter<'collector'>;
  /** Since start, for the hit-ratio gauge (the spec's target is above 0.8). */
  private readonly availability = { servedFromCache: 0, readModelReads: 0 };

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.httpDuration = new Histogram({
      name: 'psicopay_http_request_duration_seconds',
      help: "Time to answer an HTTP request, by the route pattern express matched ('unmatched' when none did), method and status class",
      labelNames: ['route', 'method', 'status_class'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.commands = new Counter({
      name: 'psicopay_commands_total',
      help: 'Commands answered, by aggregate, command type and outcome (accepted, unchanged, rejected with the domain error code as reason, conflict after every retry, failed)',
      labelNames: ['aggregate', 'command', 'outcome', 'reason'],
      registers,
    });
    this.conflictRetries = new Counter({
      name: 'psicopay_command_conflict_retries_total',
      help: 'Optimistic-concurrency races lost and retried (another writer appended to the stream first)',
      labelNames: ['aggregate', 'command'],
      registers,
    });
    this.jobRuns = new Counter({ name: 'psicopay_job_runs_total', help: 'Scheduled job runs, by job name and outcome', labelNames: ['job', 'outcome'], registers });
    this.jobDuration = new Histogram({ name: 'psicopay_job_duration_seconds', help: 'How long scheduled job runs took', labelNames: ['job'], buckets: JOB_BUCKETS, registers });
    this.integrationCalls = new Counter({
      name: 'psicopay_integration_calls_total',
      help: 'Outbox calls to the integrations, by integration, call kind and outcome (done, skipped, retry after a transient failure, failed for good)',
      labelNames: ['integration', 'kind', 'outcome'],
      registers,
    });
    this.cacheLookups = new Counter({
      name: 'psicopay_availability_cache_lookups_total',
      help: 'Availability cache lookups, by layer (answers: computed answers in this process; facts: range facts, in Redis when configured) and outcome',
      labelNames: ['layer', 'outcome'],
      registers,
    });
    const availability = this.availability;
    new Gauge({
      name: 'psicopay_availability_cache_hit_ratio',
      help: 'Share of availability queries since start answered without reading the read models (a cached answer or cached facts); target above 0.8',
      registers,
      collect() {
        const total = availability.servedFromCache + availability.readModelReads;
        // No sample before the first query: a ratio of nothing is not 0.
        if (total === 0) this.reset();
        else this.set(availability.servedFromCache / total);
      },
    });
    this.collectionFailures = new Counter({
      name: 'psicopay_metrics_collection_failures_total',
      help: 'Scrapes whose figures from a collector (projections, integrations) could not be read in time; their gauges are then absent',
      labelNames: ['collector'],
      registers,
    });
    this.progress = new ProgressGauges(registers);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  /** For a command handler's options: counts each answer by outcome, and each retried race. */
  commandObserver(aggregate: string): CommandMetricsObserver {
    return {
      answered: (command, result) => {
        const type = commandType(command);
        if ('appended' in result) this.commands.inc({ aggregate, command: type, outcome: result.appended > 0 ? 'accepted' : 'unchanged', reason: '' });
        else this.commands.inc({ aggregate, command: type, ...classify(result.error) });
      },
      retried: (command) => this.conflictRetries.inc({ aggregate, command: commandType(command) }),
    };
  }

  jobRun(job: string, outcome: JobOutcome, seconds: number): void {
    this.jobRuns.inc({ job, outcome });
    this.jobDuration.observe({ job }, seconds);
  }

  integrationCall(integration: string, kind: string, outcome: IntegrationCallOutcome): void {
    this.integrationCalls.inc({ integration, kind, outcome });
  }

  cacheLookup(layer: CacheLayer, hit: boolean): void {
    this.cacheLookups.inc({ layer, outcome: hit ? 'hit' : 'miss' });
    // Every answer missed goes on to the facts: a query reads the read models only when those miss too.
    if (hit) this.availability.servedFromCache += 1;
    else if (layer === 'facts') this.availability.readModelReads += 1;
  }

  /** Scrape-time figures of projections, reactors and the outbox; a collector that failed is counted and left out. */
  recordProgress(progress: readonly ProgressFigures[], outbox: readonly OutboxFigures[], failed: readonly string[]): void {
    for (const collector of failed) this.collectionFailures.inc({ collector });
    this.progress.record(progress, outbox);
  }
}

function commandType(command: unknown): string {
  return typeof command === 'object' && command !== null && 'type' in command && typeof command.type === 'string' ? command.type : 'unknown';
}

/** A refusal by its stable domain code; never the error's message, which may name what was asked for. */
function classify(error: unknown): { outcome: string; reason: string } {
  if (error instanceof DomainError) return { outcome: 'rejected', reason: error.code };
  if (error instanceof WrongExpectedRevision) return { outcome: 'conflict', reason: 'concurrent_modification' };
  return { outcome: 'failed', reason: '' };
}
