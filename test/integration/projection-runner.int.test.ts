import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DomainEvent } from '../../domain/shared/decider.js';
import type { EncodedEvent } from '../../domain/shared/event-codec.js';
import { ExpectedRevision, type EventStore } from '../../infra/event-store/event-store.js';
import { PostgresEventStore } from '../../infra/event-store/postgres-event-store.js';
import { createKnex, migrateToLatest, type Knex } from '../../infra/postgres/knex.js';
import { readCheckpoint } from '../../projections/checkpoint-store.js';
import { LIVE_TABLES, type Projection } from '../../projections/projection.js';
import { ProjectionRunner } from '../../projections/projection-runner.js';
import { createTestDatabase } from '../support/database.js';
import { newestCommittedPosition } from '../support/log-position.js';

const logger = pino({ level: 'silent' });
const decode = (r: EncodedEvent): DomainEvent => ({ type: r.type, data: r.data });

/** Counts `Ticked` events per stream; throws on `Poison` while `poisoned` says so. */
function tallyProjection(options: { poisoned: () => boolean }): Projection {
  return {
    name: 'tally',
    handles: ['Ticked', 'Poison'],
    tables: ['public.tally'],
    async apply(trx, events, target = LIVE_TABLES) {
      for (const { event, streamId } of events) {
        if (event.type === 'Poison' && options.poisoned()) throw new Error('cannot digest Poison');
        if (event.type !== 'Ticked') continue;
        await trx.raw(`INSERT INTO ${target('public.tally')} AS tally (stream_id, ticks) VALUES (?, 1) ON CONFLICT (stream_id) DO UPDATE SET ticks = tally.ticks + 1`, [streamId]);
      }
    },
  };
}

const tick = (n = 1) => Array.from({ length: n }, () => ({ eventId: randomUUID(), type: 'Ticked', schemaVersion: 1, data: {}, metadata: { correlationId: randomUUID(), causationId: null, actor: { kind: 'system' as const, job: 'test' } } }));

describe('Projection runner', () => {
  let drop: () => Promise<void>;
  let db: Knex;
  let store: EventStore;

  // A database per specification: the log, the tally and the checkpoint are all a specification's own,
  // so none depends on what another left behind, or on running first.
  beforeEach(async () => {
    let url: string;
    ({ url, drop } = await createTestDatabase('runner'));
    db = createKnex(url, 5);
    await migrateToLatest(db);
    await db.raw('CREATE TABLE public.tally (stream_id text primary key, ticks int not null)');
    store = await PostgresEventStore.create(url);
  });
  afterEach(async () => {
    await store.close();
    await db.destroy();
    await drop();
  });

  const ticks = async () => Number((await db('public.tally').sum({ total: 'ticks' }).first())?.total ?? 0);

  it('catches up on existing events, then follows new ones live, checkpointing as it goes', async () => {
    const stream = `tick-${randomUUID()}`;
    await store.append(stream, tick(5), ExpectedRevision.noStream);
    const runner = new ProjectionRunner({ store, db, projections: [tallyProjection({ poisoned: () => false })], decode, logger });
    await runner.start();
    await runner.waitFor(await newestCommittedPosition(db));
    expect(await ticks()).toBe(5);
    const appended = await store.append(stream, tick(3), ExpectedRevision.any);
    await runner.waitFor(appended.position);
    expect(await ticks()).toBe(8);
    const checkpoint = await readCheckpoint(db, 'tally');
    expect(checkpoint.position).toEqual(appended.position);
    expect((await runner.status())[0]).toMatchObject({ name: 'tally', status: 'running', lag: 0 });
    await runner.stop();
  });

  it('counts the events of its own types it applied, the same live as from a rebuild, whatever else the log holds', async () => {
    const other = (n: number) => tick(n).map((e) => ({ ...e, type: 'Tocked' }));
    // A batch of someone else's events alone (passed over without a write), then a mixed one.
    await store.append(`tock-${randomUUID()}`, other(7), ExpectedRevision.noStream);
    await store.append(`tick-${randomUUID()}`, [...tick(2), ...other(3), ...tick(1)], ExpectedRevision.noStream);
    const runner = new ProjectionRunner({ store, db, projections: [tallyProjection({ poisoned: () => false })], decode, logger, batchSize: 7 });
    await runner.start();
    await runner.waitFor(await newestCommittedPosition(db));
    expect((await runner.status())[0]).toMatchObject({ name: 'tally', eventsHandled: 3 });
    expect((await readCheckpoint(db, 'tally')).eventsHandled).toBe(3);

    const rebuilt = await runner.rebuild('tally');
    await runner.stop();
    expect(rebuilt.eventsHandled).toBe(3);
    expect((await readCheckpoint(db, 'tally')).eventsHandled).toBe(3);
  });

  it('applies every event once even when two runners (two service processes) project the same log', async () => {
    const before = await ticks();
    const a = new ProjectionRunner({ store, db, projections: [tallyProjection({ poisoned: () => false })], decode, logger });
    const b = new ProjectionRunner({ store, db, projections: [tallyProjection({ poisoned: () => false })], decode, logger });
    await Promise.all([a.start(), b.start()]);
    const writes = await Promise.all(Array.from({ length: 20 }, () => store.append(`tick-${randomUUID()}`, tick(5), ExpectedRevision.noStream)));
    const head = writes.map((w) => w.position).reduce((x, y) => (x.commit > y.commit || (x.commit === y.commit && x.prepare > y.prepare) ? x : y));
    await Promise.all([a.waitFor(head), b.waitFor(head)]);
    expect(await ticks()).toBe(before + 100);
    await Promise.all([a.stop(), b.stop()]);
  });

  it('stops with a failed status on an event it cannot handle, and resumes from that same event after a restart', async () => {
    const before = await ticks();
    let poisoned = true;
    const stream = `tick-${randomUUID()}`;
    await store.append(stream, [...tick(2), { ...tick()[0], type: 'Poison' } as ReturnType<typeof tick>[number], ...tick(2)], ExpectedRevision.noStream);
    const failing = new ProjectionRunner({ store, db, projections: [tallyProjection({ poisoned: () => poisoned })], decode, logger, batchSize: 1 });
    await failing.start();
    await expect.poll(async () => (await failing.status())[0]?.status, { timeout: 10_000 }).toBe('failed');
    const status = (await failing.status())[0];
    expect(status?.error).toContain('cannot digest Poison');
    expect(await ticks()).toBe(before + 2);
    expect((await readCheckpoint(db, 'tally')).status).toBe('failed');
    await failing.stop();

    poisoned = false;
    const restarted = new ProjectionRunner({ store, db, projections: [tallyProjection({ poisoned: () => poisoned })], decode, logger });
    await restarted.start();
    await restarted.waitFor(await newestCommittedPosition(db));
    expect(await ticks()).toBe(before + 4);
    expect((await restarted.status())[0]?.status).toBe('running');
    await restarted.stop();
  });

  it('rebuilds a read model from the log to the same content', async () => {
    await Promise.all([5, 3, 8].map((n) => store.append(`tick-${randomUUID()}`, tick(n), ExpectedRevision.noStream)));
    const runner = new ProjectionRunner({ store, db, projections: [tallyProjection({ poisoned: () => false })], decode, logger });
    await runner.start();
    await runner.waitFor(await newestCommittedPosition(db));
    const before = await db('public.tally').orderBy('stream_id');
    expect(before.map((r: { ticks: number }) => r.ticks).sort((x, y) => x - y)).toEqual([3, 5, 8]);
    await runner.rebuild('tally');
    await runner.waitFor(await newestCommittedPosition(db));
    expect(await db('public.tally').orderBy('stream_id')).toEqual(before);
    await runner.stop();
  });
  it('rebuilds while another process runs the same projection: the other follows the switch, nothing is lost or doubled', async () => {
    const stream = `tick-${randomUUID()}`;
    await store.append(stream, tick(300), ExpectedRevision.noStream);
    const projection = () => tallyProjection({ poisoned: () => false });
    const a = new ProjectionRunner({ store, db, projections: [projection()], decode, logger, batchSize: 7 });
    const b = new ProjectionRunner({ store, db, projections: [projection()], decode, logger, batchSize: 11 });
    await Promise.all([a.start(), b.start()]);
    await Promise.all([a.waitFor(await newestCommittedPosition(db)), b.waitFor(await newestCommittedPosition(db))]);
    const expected = Number((await db.raw<{ rows: { n: string }[] }>('SELECT count(*) AS n FROM event_store.events WHERE event_type = ?', ['Ticked'])).rows[0]?.n);
    expect(await ticks()).toBe(expected);

    const rebuilding = a.rebuild('tally');
    await store.append(stream, tick(50), ExpectedRevision.any);
    await rebuilding;
    const head = await newestCommittedPosition(db);
    await Promise.all([a.waitFor(head, { timeoutMs: 20_000 }), b.waitFor(head, { timeoutMs: 20_000 })]);
    expect({ ticks: await ticks(), a: (await a.status())[0]?.error ?? null, b: (await b.status())[0]?.error ?? null }).toEqual({ ticks: expected + 50, a: null, b: null });
    expect((await b.status())[0]?.status).toBe('running');
    await Promise.all([a.stop(), b.stop()]);
  });
});
