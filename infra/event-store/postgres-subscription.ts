import type pg from 'pg';
import type { BatchHandler, LogPosition, RecordedEvent, Subscription } from './event-store.js';
import { readAllPage } from './postgres-event-store-sql.js';

/** Every append notifies this channel at commit (see postgres-append.ts). */
export const APPENDED_CHANNEL = 'event_store_appended';

export interface PostgresSubscriptionOptions {
  readonly after: LogPosition;
  readonly batchSize: number;
  /** Longest wait between reads when no notification arrives. */
  readonly pollIntervalMs: number;
}

/**
 * Catch-up and live are the same loop: read the next page after the last delivered position; when
 * it is empty, sleep until a notification or the poll interval. The poll is not optional: an event
 * can become readable with no notification at all, when some older, unrelated transaction ends and
 * the snapshot's xmin moves past the event's transaction.
 */
export class PostgresSubscription implements Subscription {
  readonly done: Promise<void>;
  private stopping = false;
  private failure: Error | undefined;
  private readonly wakeup = new Wakeup();

  constructor(
    private readonly pool: pg.Pool,
    private readonly handler: BatchHandler,
    private readonly options: PostgresSubscriptionOptions,
  ) {
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

  private async run(): Promise<void> {
    const listener = await this.listen();
    try {
      let position = this.options.after;
      let next = this.read(position);
      while (!this.stopping) {
        const batch = await next;
        if (this.stopping) break;
        const last = batch.at(-1);
        if (!last) {
          await this.wakeup.wait(this.options.pollIntervalMs);
          next = this.read(position);
          continue;
        }
        // The next page is read while the handler works on this one: catching up is then bounded by
        // the slower of the two, not their sum.
        next = this.read(last.position);
        await this.handler(batch);
        position = last.position;
      }
    } finally {
      // Stopping first, so the 'end' that our own release causes is not taken for a failure.
      this.stopping = true;
      // The connection carries a LISTEN; destroying it keeps that out of the pool.
      listener.release(true);
    }
    if (this.failure) throw this.failure;
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
    client.on('error', (error: Error) => this.fail(error));
    client.on('end', () => this.fail(new Error('Event store subscription: the LISTEN connection ended')));
    client.on('notification', () => this.wakeup.notify());
    try {
      await client.query(`LISTEN ${APPENDED_CHANNEL}`);
    } catch (error) {
      client.release(true);
      throw error;
    }
    return client;
  }

  private fail(error: Error): void {
    if (this.stopping) return;
    this.failure = error;
    this.stopping = true;
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
