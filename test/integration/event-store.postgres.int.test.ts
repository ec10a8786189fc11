import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExpectedRevision, START, comparePositions } from '../../infra/event-store/event-store.js';
import { PostgresEventStore, appendInTransaction, ensureEventStoreSchema } from '../../infra/event-store/postgres-event-store.js';
import { Recorder, anEvent, eventually, uniqueStream } from '../contract/event-store-contract-support.js';
import { eventStoreContract } from '../contract/event-store.contract.js';
import { createTestDatabase } from '../support/database.js';

eventStoreContract('PostgreSQL', async () => {
  const database = await createTestDatabase('event_store');
  const store = await PostgresEventStore.create(database.url);
  return {
    store,
    teardown: async () => {
      await store.close();
      await database.drop();
    },
  };
});

/** Waits are for conditions, with a deadline far beyond what a loaded machine needs; never for a span of time. */
const WAIT = { timeout: 20_000, interval: 20 };

/**
 * Counts the queries the pool answers from now on. While a test holds still, they are all the
 * subscriber's reads of the log: how a test knows it has looked, which it cannot see otherwise.
 */
function countAnsweredQueries(pool: pg.Pool): { answered: () => number; stop: () => void } {
  let answered = 0;
  // A pooled query releases its client once answered.
  const onRelease = (): void => {
    answered++;
  };
  pool.on('release', onRelease);
  return { answered: () => answered, stop: () => pool.off('release', onRelease) };
}

/**
 * A pool whose connections a dropped database may terminate once the test has ended it. pool.end()
 * resolves as soon as it has asked its connections to close, so DROP DATABASE ... WITH (FORCE) can
 * terminate one still closing, and an idle connection's error with no listener is an uncaught
 * exception in whichever test runs then. That one is expected; any other error still fails the run.
 */
function testPool(url: string, max: number): pg.Pool {
  const p = new pg.Pool({ connectionString: url, max });
  p.on('error', (error) => {
    if (!p.ending) throw error;
  });
  return p;
}

describe('PostgreSQL event store, beyond the contract', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let pool: pg.Pool;
  let store: PostgresEventStore;

  beforeAll(async () => {
    database = await createTestDatabase('event_store_pg');
    pool = testPool(database.url, 6);
    await ensureEventStoreSchema(pool);
    store = new PostgresEventStore(pool, { pollIntervalMs: 50 });
  });
  afterAll(async () => {
    await store.close();
    await pool.end();
    await database.drop();
  });

  /** Backends of this test's database that hold the subscriptions' LISTEN (a destroyed client's may linger a moment). */
  const listeners = async (): Promise<{ pid: number; state: string }[]> =>
    (await pool.query<{ pid: number; state: string }>(`SELECT pid, state FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN event_store_appended'`)).rows;

  it('reads a replay page itself, in the database: its types only, lean, and a short page is the end', async () => {
    const stream = uniqueStream('lean');
    const type = `Lean${randomUUID().slice(0, 8)}`;
    const after = await store.headPosition();
    const appended = await store.append(stream, [anEvent(type, { n: 1 }), anEvent('Other', { n: 2 }), anEvent(type, { n: 3 })], ExpectedRevision.noStream);
    // Readable once every older transaction in the cluster has ended (other test files write too).
    const page = await eventually(async () => {
      const read = await store.readForReplay({ after, maxCount: 10, types: [type] });
      expect(comparePositions(read.through, appended.position)).toBeGreaterThanOrEqual(0);
      return read;
    });
    expect(page.events.map((e) => Object.keys(e).sort())).toEqual([
      ['data', 'position', 'schemaVersion', 'streamId', 'streamRevision', 'type'],
      ['data', 'position', 'schemaVersion', 'streamId', 'streamRevision', 'type'],
    ]);
    expect(page.events.map((e) => e.data)).toEqual([{ n: 1 }, { n: 3 }]);
    expect(page.end).toBe(true);
  });

  it('holds a subscriber back at a transaction that commits late, then delivers its events before the later ones', async () => {
    const [slowStream, fastStream] = [uniqueStream('slow'), uniqueStream('fast')];
    const [slowEvent, fastEvent] = [anEvent('SlotHeld'), anEvent('SlotHeld')];
    const recorder = new Recorder((id) => id === slowStream || id === fastStream);
    const after = await store.headPosition();
    const subscription = store.subscribe(recorder.handle, { after });
    const slow = await pool.connect();
    try {
      await slow.query('BEGIN');
      const slowAppend = await appendInTransaction(slow, slowStream, [slowEvent], ExpectedRevision.noStream);
      const fastAppend = await store.append(fastStream, [fastEvent], ExpectedRevision.noStream);
      // The slow transaction started first, so it sorts first, though it has not committed yet.
      expect(comparePositions(slowAppend.position, fastAppend.position)).toBe(-1);

      // The fast commit notified the subscriber and several polls went by: still nothing may pass.
      const reads = countAnsweredQueries(pool);
      try {
        await expect.poll(() => reads.answered(), WAIT).toBeGreaterThanOrEqual(4);
      } finally {
        reads.stop();
      }
      expect(recorder.received).toEqual([]);
      expect((await store.readAll({ after })).filter((e) => e.streamId === fastStream)).toEqual([]);

      await slow.query('COMMIT');
      const received = await recorder.waitFor(2, subscription);
      expect(received.map((e) => e.eventId)).toEqual([slowEvent.eventId, fastEvent.eventId]);
    } finally {
      slow.release();
      await subscription.close();
    }
  });

  it('never delivers the events of a rolled-back transaction, and carries on past it', async () => {
    const [doomed, kept] = [uniqueStream('doomed'), uniqueStream('kept')];
    const recorder = new Recorder((id) => id === doomed || id === kept);
    const subscription = store.subscribe(recorder.handle, { after: await store.headPosition() });
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await appendInTransaction(client, doomed, [anEvent()], ExpectedRevision.noStream);
      const keptEvent = anEvent();
      await store.append(kept, [keptEvent], ExpectedRevision.noStream);
      await client.query('ROLLBACK');
      // Delivery is in log order: once an event appended after all of them is in, nothing before it can still come.
      const last = anEvent();
      await store.append(kept, [last], ExpectedRevision.exact(0));
      const received = await recorder.waitFor(2, subscription);
      expect(received.map((e) => e.eventId)).toEqual([keptEvent.eventId, last.eventId]);
      expect(await store.readStream(doomed)).toEqual([]);
    } finally {
      client.release();
      await subscription.close();
    }
  });

  it('resubscribes after its connection is dropped, from the last delivered event: nothing lost, nothing twice, the outage told', async () => {
    // The connections of earlier subscriptions are destroyed on close, but their backends may not have gone yet.
    await expect.poll(listeners, WAIT).toEqual([]);
    const stream = `dropped-${Date.now()}`;
    await store.append(stream, [anEvent('Ticked', { n: 0 })], ExpectedRevision.noStream);
    const seen: number[] = [];
    const subscription = store.subscribe(
      (batch) => {
        for (const e of batch) if (e.streamId === stream) seen.push((e.data as { n: number }).n);
        return Promise.resolve();
      },
      { after: START },
    );
    await expect.poll(() => seen, WAIT).toEqual([0]);
    // Until its LISTEN has been answered there is no backend to terminate.
    await expect.poll(async () => (await listeners()).map((l) => l.state), WAIT).toEqual(['idle']);
    const killed = await pool.query<{ killed: boolean }>(
      `SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity
       WHERE datname = current_database() AND query = 'LISTEN event_store_appended'`,
    );
    expect(killed.rows.map((r) => r.killed)).toEqual([true]);
    await store.append(stream, [anEvent('Ticked', { n: 1 }), anEvent('Ticked', { n: 2 })], ExpectedRevision.exact(0));
    await expect.poll(() => seen, WAIT).toEqual([0, 1, 2]);
    await expect.poll(() => subscription.health().resubscribed, WAIT).toBe(1);
    expect(subscription.health()).toMatchObject({ connected: true, outageSince: null });
    await subscription.close();
    await expect(subscription.done).resolves.toBeUndefined();
  });

  it('creates its schema safely when several processes start at once', async () => {
    const fresh = await createTestDatabase('event_store_schema');
    const pools = Array.from({ length: 4 }, () => testPool(fresh.url, 1));
    try {
      await Promise.all(pools.map((p) => ensureEventStoreSchema(p)));
      await Promise.all(pools.map((p) => ensureEventStoreSchema(p)));
      const tables = await pools[0]?.query<{ table_name: string }>(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = 'event_store' ORDER BY table_name`,
      );
      expect(tables?.rows.map((r) => r.table_name)).toEqual(['events', 'streams']);
    } finally {
      await Promise.all(pools.map((p) => p.end()));
      await fresh.drop();
    }
  });
});
