import type pg from 'pg';
import type { BatchHandler, LogPosition, RecordedEvent, Subscription, SubscriptionHealth } from './event-store.js';
import { readAllPage } from './postgres-event-store-sql.js';

/** Every append notifies this channel at commit (see postgres-append.ts). */
export const APPENDED_CHANNEL = 'event_store_appended';

export interface PostgresSubscriptionOptions {
  readonly after: LogPosition;
  readonly batchSize: number;
  /** Longest wait between reads when no notification arrives. */
  readonly pollIntervalMs: number;
}

/** Waits between resubscriptions after an outage: doubling from this, jittered, up to the cap. */
const RETRY_FIRST_MS = 100;
const RETRY_CAP_MS = 5_000;

/** A failure of the handler: ends the subscription (unlike the store's own, which is retried). */
class HandlerFailure extends Error {
  constructor(readonly reason: unknown) {
    super('The subscription handler failed');
  }
}

/**
 * Catch-up and live are the same loop: read the next page after the last delivered position; when
 * it is empty, sleep until a notification or the poll interval. The poll is not optional: an event
 * can become readable with no notification at all, when some older, unrelated transaction ends and
 * the snapshot's xmin moves past the event's transaction. When the database drops a connection (a
 * restart, a failover, a terminated backend), it resubscribes from the last delivered position with
 * a bounded, jittered backoff: nothing is lost or delivered twice, and `health()` tells the outage.
 */
export class PostgresSubscription implements Subscription {
  readonly done: Promise<void>;
  private stopping = false;
  private listenerLost: Error | undefined;
  private outageSince: Date | null = null;
  private resubscribed = 0;
  /** Where the handler has got to: a resubscription goes on from here. */
  private delivered: LogPosition;
  private readonly wakeup = new Wakeup();

  constructor(
    private readonly pool: pg.Pool,
    private readonly handler: BatchHandler,
    private readonly options: PostgresSubscriptionOptions,
  ) {
    this.delivered = options.after;
    this.done = this.run();
    // Whoever holds the subscription may never await done; its rejection must not crash the process.
    this.done.catch(() => undefined);
  }

  /** Stops after the batch in the handler, if any, has settled; resolves once the connection is released. */
  async close(): Promise<void> {
    this.stopping = true;
    this.wakeup.notify();
    await this.done.catch(() => undefined);
  }

  health(): SubscriptionHealth {
    return { connected: this.outageSince === null, outageSince: this.outageSince?.toISOString() ?? null, resubscribed: this.resubscribed };
  }

  private async run(): Promise<void> {
    let attempt = 0;
    while (!this.stopping) {
      let listener: pg.PoolClient | undefined;
      try {
        listener = await this.listen();
        if (this.outageSince !== null) this.resubscribed += 1;
        this.outageSince = null;
        attempt = 0;
        await this.follow();
      } catch (error) {
        if (error instanceof HandlerFailure) throw error.reason;
        if (this.stopping) break;
        this.outageSince ??= new Date();
        attempt += 1;
        await this.wakeup.wait(Math.min(RETRY_CAP_MS, RETRY_FIRST_MS * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2));
      } finally {
        if (listener) {
          // Its own 'end' on release is not an outage of the next connection.
          for (const name of ['end', 'error', 'notification'] as const) listener.removeAllListeners(name);
          listener.on('error', () => undefined);
          // The connection carries a LISTEN; destroying it keeps that out of the pool.
          listener.release(true);
        }
        this.listenerLost = undefined;
      }
    }
  }

  /** Delivers pages after the last delivered position until stopped, or the connection is lost (throws). */
  private async follow(): Promise<void> {
    let next = this.read(this.delivered);
    while (!this.stopping) {
      const batch = await next;
      this.throwIfLost();
      if (this.stopping) break;
      const last = batch.at(-1);
      if (!last) {
        await this.wakeup.wait(this.options.pollIntervalMs);
        this.throwIfLost();
        next = this.read(this.delivered);
        continue;
      }
      // The next page is read while the handler works on this one: catching up is then bounded by
      // the slower of the two, not their sum.
      next = this.read(last.position);
      try {
        await this.handler(batch);
      } catch (error) {
        throw new HandlerFailure(error);
      }
      this.delivered = last.position;
    }
  }

  /** A page after `position`; a read that fails while nobody awaits it yet must not go unhandled. */
  private read(position: LogPosition): Promise<RecordedEvent[]> {
    const page = readAllPage(this.pool, position, this.options.batchSize);
    page.catch(() => undefined);
    return page;
  }

  private async listen(): Promise<pg.PoolClient> {
    const client = await this.pool.connect();
    // A checked-out client with no 'error' listener would crash the process when the server drops it.
    client.on('error', (error: Error) => this.lose(error));
    client.on('end', () => this.lose(new Error('Event store subscription: the LISTEN connection ended')));
    client.on('notification', () => this.wakeup.notify());
    try {
      await client.query(`LISTEN ${APPENDED_CHANNEL}`);
    } catch (error) {
      client.release(true);
      throw error;
    }
    return client;
  }

  private throwIfLost(): void {
    const lost = this.listenerLost;
    if (lost) throw lost;
  }

  /** The LISTEN connection is gone: notifications would stop, so the loop resubscribes. */
  private lose(error: Error): void {
    if (this.stopping) return;
    this.listenerLost = error;
    this.wakeup.notify();
  }
}

/** A wake-up that is never lost: a notify() while nobody waits makes the next wait() return at once. */
class Wakeup {
  private pending = false;
  private wake: (() => void) | undefined;

  notify(): void {
    this.pending = true;
    this.wake?.();
  }

  async wait(ms: number): Promise<void> {
    if (!this.pending) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
    this.pending = false;
  }
}
