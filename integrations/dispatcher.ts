import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { integrationEventCodec, integrationsStream, type IntegrationEvent } from '../domain/integrations/integration-events.js';
import type { Clock } from '../infra/clock.js';
import { ExpectedRevision, type EventMetadata, type EventStore } from '../infra/event-store/event-store.js';
import { describeError } from '../infra/logging/safe-error.js';
import { PermanentIntegrationFailure, TransientIntegrationFailure } from './integration-errors.js';
import { claimDue, complete, retryAt, type DispatchRow } from './outbox.js';

/** What a handler made of one row. */
export type HandlerResult =
  | { readonly status: 'done'; readonly events: readonly IntegrationEvent[]; readonly outcome?: unknown; readonly therapistId?: string }
  /** Nothing to do any more (the session was cancelled, the link expired): recorded on the row, no call made. */
  | { readonly status: 'skipped'; readonly reason: string; readonly events?: readonly IntegrationEvent[]; readonly therapistId?: string }
  /** Waiting for something else (the Meet link before the confirmation message): not an attempt. */
  | { readonly status: 'postponed'; readonly until: Date; readonly reason: string };

export type DispatchHandler = (row: DispatchRow, now: Date) => Promise<HandlerResult>;

/** A permanent failure also changes something elsewhere (a revoked grant disconnects the calendar). */
export type FailureHook = (row: DispatchRow, error: PermanentIntegrationFailure, now: Date) => Promise<readonly IntegrationEvent[]>;

export interface DispatcherOptions {
  readonly db: Knex;
  readonly store: EventStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly handlers: Readonly<Record<DispatchRow['kind'], DispatchHandler>>;
  readonly onPermanentFailure?: FailureHook;
  readonly pollMs?: number;
  readonly batch?: number;
  /** After this many transient failures a call is given up and recorded as failed. */
  readonly maxAttempts?: number;
  /** A row in flight longer than this was left by a process that died mid-call. */
  readonly staleAfterMs?: number;
  /** Told of each call's outcome (the metrics); a postponed row made no call and is not told. */
  readonly onCall?: (integration: DispatchRow['integration'], kind: DispatchRow['kind'], outcome: 'done' | 'skipped' | 'retry' | 'failed') => void;
}

const BASE_DELAY_MS = 1_000;
/** At the ten-minute cap, about a week of retries. */
const PAYMENT_NOTIFICATION_ATTEMPTS = 1_000;
const MAX_DELAY_MS = 10 * 60_000;

/** Exponential backoff with full jitter (AWS's "full jitter"): retries of many rows never march in step. */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/** The event id of a row's n-th outcome: the same call recorded twice (a crash after the append) is one event. */
export function outcomeEventId(key: string, index: number, type: string): string {
  const hex = createHash('sha256').update(`${key}\n${index}\n${type}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${((parseInt(hex.slice(16, 18), 16) & 0x3f) | 0x80).toString(16)}${hex.slice(18, 20)}-${hex.slice(20, 32)}`;
}

/**
 * Works the outbox: claims due rows, runs each row's handler outside any transaction, appends its
 * outcome to the therapist's integrations stream, then settles the row. A transient failure goes back
 * with backoff; a permanent one is recorded (IntegrationCallFailed) and never blocks the other rows
 * or integrations. Several processes may run one: claims skip each other's rows.
 */
export class Dispatcher {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  private lastError: string | null = null;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly options: DispatcherOptions) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    await Promise.allSettled([...this.inFlight]);
  }

  /** Runs one round now (tests, and the CLI): claims what is due and waits for it to settle. */
  async runDue(): Promise<number> {
    const rows = await this.claim(this.options.batch ?? 20);
    await Promise.all(rows.map((row) => this.track(this.dispatch(row))));
    return rows.length;
  }

  /**
   * The background loop's round: claims as many rows as there is room for and starts them without
   * waiting, so a slow provider (an SMTP server taking its timeouts) holds up only its own calls.
   */
  private async startDue(): Promise<{ started: number; room: number }> {
    const room = (this.options.batch ?? 20) - this.inFlight.size;
    if (room <= 0) return { started: 0, room };
    const rows = await this.claim(room);
    for (const row of rows) void this.track(this.dispatch(row));
    return { started: rows.length, room };
  }

  private claim(limit: number): Promise<DispatchRow[]> {
    return claimDue(this.options.db, this.options.clock.now(), limit, this.options.staleAfterMs ?? 120_000);
  }

  health(): { readonly running: boolean; readonly lastError: string | null } {
    return { running: !this.stopped, lastError: this.lastError };
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.startDue()
        .then(({ started, room }) => {
          this.lastError = null;
          // All the room taken means more may be due: go again as soon as calls settle.
          this.schedule(room > 0 && started >= room ? 0 : (this.options.pollMs ?? 250));
        })
        .catch((error: unknown) => {
          this.lastError = describeError(error);
          this.options.logger.warn({ err: error }, 'integration dispatcher round failed; trying again');
          this.schedule(2_000);
        });
    }, delay);
  }

  private track(work: Promise<void>): Promise<void> {
    // A row whose settling failed (the database went away) is claimed again once stale: logged, not thrown.
    const settled = work.catch((error: unknown) => this.options.logger.error({ err: error }, 'could not settle an integration call; it is claimed again later'));
    this.inFlight.add(settled);
    return settled.finally(() => this.inFlight.delete(settled));
  }

  private async dispatch(row: DispatchRow): Promise<void> {
    const { db, clock, logger } = this.options;
    const log = logger.child({ key: row.key, integration: row.integration, attempt: row.attempts });
    const now = clock.now();
    try {
      const result = await this.options.handlers[row.kind](row, now);
      if (result.status === 'postponed') {
        // Not a failure: nothing in last_error, so ops do not see a wait as a problem.
        if (!(await retryAt(db, row, result.until, null, { countAttempt: false }))) log.warn('integration call postponed, but its claim was lost meanwhile; left to whoever holds it');
        return;
      }
      const events = result.status === 'done' ? result.events : (result.events ?? []);
      await this.record(row, events, 0, result.therapistId);
      this.options.onCall?.(row.integration, row.kind, result.status);
      if (result.status === 'done') {
        if (await complete(db, row, 'done', result.outcome ?? null)) log.info('integration call done');
        else log.warn('integration call done, but its claim was lost meanwhile; left to whoever holds it');
      } else {
        if (await complete(db, row, 'cancelled', null, result.reason)) log.info({ reason: result.reason }, 'integration call not needed any more');
        else log.warn('integration call skipped, but its claim was lost meanwhile; left to whoever holds it');
      }
    } catch (error) {
      await this.failed(row, error, now, log);
    }
  }

  private async failed(row: DispatchRow, error: unknown, now: Date, log: Logger): Promise<void> {
    const { db } = this.options;
    const reason = describeError(error);
    // A payment notification is never given up within a week: the webhook was answered, Mercado Pago will not resend it.
    const maxAttempts = row.kind === 'mp.payment' ? PAYMENT_NOTIFICATION_ATTEMPTS : (this.options.maxAttempts ?? 12);
    if (!(error instanceof PermanentIntegrationFailure) && row.attempts < maxAttempts) {
      const retryAfter = error instanceof TransientIntegrationFailure ? error.retryAfterMs : null;
      const delay = Math.max(retryAfter ?? 0, backoffMs(row.attempts));
      // Not ours to classify (a fault in our code or store): retried like a transient failure, but loudly.
      if (!(error instanceof TransientIntegrationFailure)) log.error({ err: error }, 'integration handler failed unexpectedly; retrying');
      else log.warn({ reason, delayMs: delay }, 'integration call failed; retrying with backoff');
      // A claim lost meanwhile (this process stalled past the stale threshold) reopens nothing another settled.
      if (!(await retryAt(db, row, new Date(now.getTime() + delay), reason))) log.warn('integration call failed, but its claim was lost meanwhile; left to whoever holds it');
      this.options.onCall?.(row.integration, row.kind, 'retry');
      return;
    }
    const permanent = error instanceof PermanentIntegrationFailure ? error : new PermanentIntegrationFailure(`gave up after ${row.attempts} attempts: ${reason}`);
    const reference =
      row.payload.kind === 'mp.preference' ? row.payload.reference : 'sessionId' in row.payload && row.payload.sessionId ? { kind: 'session' as const, id: row.payload.sessionId } : null;
    const failedEvent: IntegrationEvent = {
      type: 'IntegrationCallFailed',
      data: { key: row.key, integration: row.integration, kind: row.kind, reference, reason: permanent.message, status: permanent.status, attempts: row.attempts, at: now.toISOString() },
    };
    try {
      const more = (await this.options.onPermanentFailure?.(row, permanent, now)) ?? [];
      await this.record(row, [failedEvent, ...more], 100);
      await complete(db, row, 'failed', null, permanent.message);
      this.options.onCall?.(row.integration, row.kind, 'failed');
      // A payment notification whose payment could never be read names no therapist to tell: ops must reconcile it.
      if (!row.therapistId) log.error({ reason: permanent.message }, 'a call with no therapist failed for good (a payment notification?): reconcile it with the provider');
      else log.warn({ reason: permanent.message }, 'integration call failed for good; recorded');
    } catch (recordError) {
      // The failure could not be recorded: the row is claimed again later, nothing is lost.
      log.error({ err: recordError }, 'could not record a failed integration call');
      await retryAt(db, row, new Date(now.getTime() + backoffMs(row.attempts)), reason);
    }
  }

  /** `therapistId`: whose stream, when the row did not know it (a payment notification names only a payment). */
  private async record(row: DispatchRow, events: readonly IntegrationEvent[], offset: number, therapistId: string | null = row.therapistId): Promise<void> {
    if (events.length === 0 || !therapistId) return;
    const metadata: EventMetadata = { correlationId: row.key, causationId: null, actor: { kind: 'system', job: `integration:${row.integration}` } };
    await this.options.store.append(
      integrationsStream(therapistId),
      events.map((event, index) => {
        const encoded = integrationEventCodec.encode(event);
        return { eventId: outcomeEventId(row.key, offset + index, event.type), type: encoded.type, schemaVersion: encoded.schemaVersion, data: encoded.data, metadata };
      }),
      ExpectedRevision.any,
    );
  }
}
