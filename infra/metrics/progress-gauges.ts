import { Gauge, type Registry } from 'prom-client';

/** One projection's or reactor's place in the log, as `status()` reports it (structurally its ProjectionStatus). */
export interface ProgressFigures {
  readonly kind: 'projection' | 'reactor';
  readonly name: string;
  readonly status: string;
  readonly lag: number;
  readonly eventsHandled: number;
}

/** One integration's outbox, as the integrations' health reports it. */
export interface OutboxFigures {
  readonly integration: string;
  readonly pending: number;
  readonly retrying: number;
  readonly failedLastDay: number;
}

const STATES = ['starting', 'running', 'failed', 'stopped'] as const;

/**
 * Gauges set at scrape time from the runners' own status, not kept up to date by the hot path.
 * Each scrape replaces every series, so a projection or an integration that is gone leaves none behind.
 */
export class ProgressGauges {
  private readonly lag: Gauge<'kind' | 'projection'>;
  private readonly handled: Gauge<'kind' | 'projection'>;
  private readonly state: Gauge<'kind' | 'projection' | 'state'>;
  private readonly outbox: Gauge<'integration' | 'state'>;

  constructor(registers: Registry[]) {
    this.lag = new Gauge({
      name: 'psicopay_projection_lag',
      help: 'How far the head of the log is ahead of a projection or reactor (PostgreSQL event store: events; EventStoreDB: log bytes); 0 when caught up',
      labelNames: ['kind', 'projection'],
      registers,
    });
    this.handled = new Gauge({ name: 'psicopay_projection_events_handled', help: 'Events of its own types a projection or reactor has applied, by its checkpoint (others pass by uncounted)', labelNames: ['kind', 'projection'], registers });
    this.state = new Gauge({
      name: 'psicopay_projection_state',
      help: 'A projection or reactor in each state (1 for its current one): starting, running, failed, or stopped (not run by this process)',
      labelNames: ['kind', 'projection', 'state'],
      registers,
    });
    this.outbox = new Gauge({
      name: 'psicopay_integration_outbox_calls',
      help: 'Integration calls in the outbox: due (waiting or in flight), retrying after a failure, failed for good in the last day',
      labelNames: ['integration', 'state'],
      registers,
    });
  }

  record(progress: readonly ProgressFigures[], outbox: readonly OutboxFigures[]): void {
    for (const gauge of [this.lag, this.handled, this.state, this.outbox]) gauge.reset();
    for (const p of progress) {
      const labels = { kind: p.kind, projection: p.name };
      this.lag.set(labels, p.lag);
      this.handled.set(labels, p.eventsHandled);
      for (const state of STATES) this.state.set({ ...labels, state }, p.status === state ? 1 : 0);
    }
    for (const o of outbox) {
      this.outbox.set({ integration: o.integration, state: 'due' }, o.pending);
      this.outbox.set({ integration: o.integration, state: 'retrying' }, o.retrying);
      this.outbox.set({ integration: o.integration, state: 'failed_last_day' }, o.failedLastDay);
    }
  }
}
