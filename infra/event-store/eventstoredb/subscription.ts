import { excludeSystemEvents, type AllStreamSubscription, type EventStoreDBClient, type RecordedEvent as EsdbRecordedEvent } from '@eventstore/db-client';
import { comparePositions, type BatchHandler, type LogPosition, type RecordedEvent, type Subscription, type SubscriptionHealth } from '../event-store.js';
import { classify, toReadPosition } from './mapping.js';
import { backoffDelay, type ForeignEvent, type ResolvedOptions } from './options.js';

/**
 * Delivers $all to the handler in batches, following the log through outages. The client pushes events
 * as they come; they wait in a buffer, and the call is paused while the buffer is full, so a slow handler
 * holds the server back instead of filling memory. Filtering on the server keeps system events off the wire.
 *
 * When the call fails (UNAVAILABLE, CANCELLED, the server ending it) the client discards what it had not
 * yet emitted, so a new call starts right after the last event received: what is in the buffer is kept and
 * delivered, nothing is asked for twice, and positions at or before the last one are dropped should a
 * server send them again. Between attempts it waits, doubling up to a cap with jitter, and health() shows
 * the outage. Only the handler's errors (and events that cannot be mapped at all) stop it.
 */
export class EventStoreDbSubscription implements Subscription {
  readonly done: Promise<void>;
  private readonly buffer: RecordedEvent[] = [];
  private stopping = false;
  private fatal: Error | undefined;
  private wake: (() => void) | undefined;
  private stream: AllStreamSubscription | undefined;
  /** Ends the current call or pause early, when stopping. */
  private interrupt: (() => void) | undefined;
  /** The last event received, ours or not: where a new call starts. */
  private lastSeen: LogPosition;
  private attempt = 0;
  private state: { connected: boolean; outageSince: Date | null; resubscribed: number } = { connected: false, outageSince: null, resubscribed: 0 };

  /** `client` is the subscription's own: it disposes of it when it stops. */
  constructor(
    private readonly client: EventStoreDBClient,
    private readonly handler: BatchHandler,
    after: LogPosition,
    private readonly batchSize: number,
    private readonly options: Pick<ResolvedOptions, 'initialDelayMs' | 'maxDelayMs'> & { readonly onForeign: (foreign: ForeignEvent) => void },
  ) {
    this.lastSeen = after;
    const following = this.follow();
    this.done = this.deliver(following);
    // Whoever holds the subscription may never await done; its rejection must not crash the process.
    this.done.catch(() => undefined);
  }

  /** /ready shows it unauthenticated: whether and since when, never why (the error may name hosts). */
  health(): SubscriptionHealth {
    const { connected, outageSince, resubscribed } = this.state;
    return { connected, outageSince: outageSince?.toISOString() ?? null, resubscribed };
  }

  /** Stops after the batch in the handler, if any, has settled. */
  async close(): Promise<void> {
    this.stop();
    await this.done.catch(() => undefined);
  }

  private stop(): void {
    this.stopping = true;
    this.wake?.();
    this.interrupt?.();
  }

  /** One call after another for as long as it runs, each ending in failure, with a pause in between. */
  private async follow(): Promise<void> {
    while (!this.stopping) {
      await this.subscribeOnce();
      if (this.stopping) return;
      this.state = { ...this.state, connected: false, outageSince: this.state.outageSince ?? new Date() };
      await this.pause(backoffDelay(this.attempt++, this.options));
    }
  }

  /** Resolves when the call ends: failed, ended by the server, or stopped by us. */
  private subscribeOnce(): Promise<void> {
    return new Promise<void>((resolve) => {
      let ended = false;
      const stream = this.client.subscribeToAll({ fromPosition: toReadPosition(this.lastSeen), filter: excludeSystemEvents() });
      const end = (): void => {
        if (ended) return;
        ended = true;
        if (this.stream === stream) this.stream = undefined;
        this.interrupt = undefined;
        // Cancelling a call that already failed, or never opened, fails too: nothing to report.
        void stream.unsubscribe().catch(() => undefined);
        resolve();
      };
      this.stream = stream;
      this.interrupt = end;
      stream.on('confirmation', () => this.connected());
      stream.on('data', (resolved: { event?: EsdbRecordedEvent }) => {
        if (ended) return;
        try {
          this.receive(resolved.event);
        } catch (error) {
          // An event that cannot be mapped at all (no position: a server too old) will not map on a retry either.
          this.fatal = error instanceof Error ? error : new Error(String(error));
          this.stop();
        }
      });
      // Unhandled, an 'error' event would crash the process; handled, it ends this call only. Its reason is
      // not kept: the outage is what matters, and every reason (UNAVAILABLE, CANCELLED, an end) is retried alike.
      stream.on('error', end);
      stream.on('end', end);
      stream.on('close', end);
    });
  }

  private connected(): void {
    if (this.stopping) return;
    const wasOut = this.state.outageSince !== null;
    this.state = { ...this.state, connected: true, outageSince: null, resubscribed: this.state.resubscribed + (wasOut ? 1 : 0) };
    this.attempt = 0;
  }

  private receive(raw: EsdbRecordedEvent | undefined): void {
    const classified = classify(raw);
    // Positions only grow, so this skips what lies at or before the last one, and never repeats an event.
    if (this.stopping || classified.kind === 'none' || comparePositions(classified.position, this.lastSeen) <= 0) return;
    if (!this.state.connected) this.connected();
    this.lastSeen = classified.position;
    if (classified.kind === 'foreign') this.options.onForeign(classified.foreign);
    if (classified.kind !== 'ours') return;
    this.buffer.push(classified.event);
    if (this.buffer.length >= 2 * this.batchSize) this.stream?.pause();
    this.wake?.();
  }

  private async deliver(following: Promise<void>): Promise<void> {
    try {
      while (!this.stopping) {
        if (this.buffer.length === 0) {
          // Checked and armed in one synchronous step, so a wake-up cannot slip in between.
          await new Promise<void>((resolve) => (this.wake = resolve));
          this.wake = undefined;
          continue;
        }
        const batch = this.buffer.splice(0, this.batchSize);
        if (this.stream?.isPaused() && this.buffer.length < this.batchSize) this.stream.resume();
        await this.handler(batch);
      }
    } finally {
      this.stop();
      await following;
      await this.client.dispose();
    }
    if (this.fatal) throw this.fatal;
  }

  private pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.interrupt = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
