import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ExpectedRevision,
  WrongExpectedRevision,
  START,
  comparePositions,
  type EventStore,
  type LogPosition,
  type ReplayedEvent,
  type EventToAppend,
} from '../../infra/event-store/event-store.js';
import { readForReplay } from '../../infra/event-store/replay-read.js';
import { concurrentWritersSpec } from './event-store-concurrency.contract.js';
import { Recorder, anEvent, eventually, events, readAllOf, sleep, uniqueStream, type ContractStore } from './event-store-contract-support.js';

/**
 * What every EventStore adapter promises. Each adapter's integration test runs it over a live store;
 * streams are unique per test, so the store need not be empty and may be shared.
 */
export function eventStoreContract(name: string, setup: () => Promise<ContractStore>): void {
  describe(`${name} event store`, () => {
    let fixture: ContractStore | undefined;
    const store = (): EventStore => {
      if (!fixture) throw new Error('The store was not set up');
      return fixture.store;
    };
    const wrong = (actual: number): unknown => expect.objectContaining({ name: 'WrongExpectedRevision', actual });
    /** A stream that already holds `count` events. */
    const streamWith = async (count: number, label = 'stream'): Promise<string> => {
      const stream = uniqueStream(label);
      await store().append(stream, events(count), ExpectedRevision.noStream);
      return stream;
    };

    beforeAll(async () => {
      fixture = await setup();
    });
    afterAll(async () => {
      await fixture?.teardown();
    });

    describe('appending and reading a stream', () => {
      it('reads back the type, data, metadata, schema version and recording time of what was appended', async () => {
        const stream = uniqueStream('roundtrip');
        const data = { text: 'ñandú "quoted" \\ back\nslash', nested: { list: [1, 2.5, -3, null, true, 'x'], empty: {} }, at: '2025-03-30T02:30:00.000Z' };
        const first = anEvent('SlotHeld', data, 3);
        const second: EventToAppend = {
          ...anEvent('BookingConfirmed', ['a', 1, { b: false }]),
          metadata: { correlationId: randomUUID(), causationId: first.eventId, actor: { kind: 'patient', bookingId: 'b-1', patientId: 'p-1' } },
        };
        const before = Date.now();
        await store().append(stream, [first, second], ExpectedRevision.noStream);
        const read = await store().readStream(stream);
        expect(read.map(({ eventId, streamId, type, schemaVersion, data, metadata }) => ({ eventId, streamId, type, schemaVersion, data, metadata }))).toEqual([
          { eventId: first.eventId, streamId: stream, type: 'SlotHeld', schemaVersion: 3, data, metadata: first.metadata },
          { eventId: second.eventId, streamId: stream, type: 'BookingConfirmed', schemaVersion: 1, data: second.data, metadata: second.metadata },
        ]);
        for (const e of read) {
          expect(e.recordedAt).toBeInstanceOf(Date);
          // The store's clock, not ours: allow for a little skew.
          expect(Math.abs(e.recordedAt.getTime() - before)).toBeLessThan(60_000);
        }
      });

      it('numbers revisions from 0 and gives every event a later log position than the one before', async () => {
        const stream = uniqueStream('numbering');
        await store().append(stream, events(2), ExpectedRevision.noStream);
        await store().append(stream, events(3), ExpectedRevision.exact(1));
        const read = await store().readStream(stream);
        expect(read.map((e) => e.streamRevision)).toEqual([0, 1, 2, 3, 4]);
        const positions = read.map((e) => e.position);
        expect([...positions].sort(comparePositions)).toEqual(positions);
        expect(new Set(positions.map((p) => `${p.commit}/${p.prepare}`)).size).toBe(positions.length);
      });

      it('answers an append with the revision and log position of its last event', async () => {
        const stream = uniqueStream('result');
        const result = await store().append(stream, events(3), ExpectedRevision.noStream);
        const last = (await store().readStream(stream)).at(-1);
        expect(result.nextExpectedRevision).toBe(2);
        expect(last?.position).toEqual(result.position);
      });

      it('reads a stream from a given revision, at most maxCount events', async () => {
        const stream = await streamWith(6);
        expect((await store().readStream(stream, { fromRevision: 2, maxCount: 3 })).map((e) => e.streamRevision)).toEqual([2, 3, 4]);
        expect((await store().readStream(stream, { fromRevision: 4 })).map((e) => e.streamRevision)).toEqual([4, 5]);
        expect(await store().readStream(stream, { fromRevision: 6 })).toEqual([]);
      });

      it('reads a stream in numeric revision order past revision 9 (never as text: 10 before 2)', async () => {
        const stream = uniqueStream('long');
        for (let i = 0; i < 4; i++) await store().append(stream, events(4), ExpectedRevision.any);
        expect((await store().readStream(stream)).map((e) => e.streamRevision)).toEqual(Array.from({ length: 16 }, (_, i) => i));
        expect((await store().readStream(stream, { fromRevision: 8, maxCount: 4 })).map((e) => e.streamRevision)).toEqual([8, 9, 10, 11]);
      });

      it('reads an empty list for a stream that does not exist', async () => {
        expect(await store().readStream(uniqueStream('missing'))).toEqual([]);
      });
    });

    describe('expected revision', () => {
      it('no_stream accepts a new stream', async () => {
        await expect(store().append(uniqueStream('new'), events(1), ExpectedRevision.noStream)).resolves.toMatchObject({ nextExpectedRevision: 0 });
      });

      it('no_stream rejects an existing stream, reporting its revision', async () => {
        const stream = await streamWith(2);
        await expect(store().append(stream, events(1), ExpectedRevision.noStream)).rejects.toEqual(wrong(1));
      });

      it('stream_exists rejects a missing stream, reporting -1', async () => {
        const rejection = store().append(uniqueStream('missing'), events(1), ExpectedRevision.streamExists);
        await expect(rejection).rejects.toBeInstanceOf(WrongExpectedRevision);
        await expect(rejection).rejects.toEqual(wrong(-1));
      });

      it('stream_exists accepts an existing stream', async () => {
        const stream = await streamWith(1);
        await expect(store().append(stream, events(2), ExpectedRevision.streamExists)).resolves.toMatchObject({ nextExpectedRevision: 2 });
      });

      it('exact accepts the current revision', async () => {
        const stream = await streamWith(3);
        await expect(store().append(stream, events(1), ExpectedRevision.exact(2))).resolves.toMatchObject({ nextExpectedRevision: 3 });
      });

      it('exact rejects a stale revision, reporting the actual one, and writes nothing', async () => {
        const stream = await streamWith(3);
        await expect(store().append(stream, events(1), ExpectedRevision.exact(1))).rejects.toEqual(wrong(2));
        await expect(store().append(uniqueStream('missing'), events(1), ExpectedRevision.exact(0))).rejects.toEqual(wrong(-1));
        expect(await store().readStream(stream)).toHaveLength(3);
      });

      it('any appends whether or not the stream exists', async () => {
        const stream = uniqueStream('any');
        await expect(store().append(stream, events(1), ExpectedRevision.any)).resolves.toMatchObject({ nextExpectedRevision: 0 });
        await expect(store().append(stream, events(2), ExpectedRevision.any)).resolves.toMatchObject({ nextExpectedRevision: 2 });
      });

      it('an append of no events writes nothing but still checks the expectation and answers the current revision', async () => {
        const fresh = uniqueStream('empty');
        await expect(store().append(fresh, [], ExpectedRevision.noStream)).resolves.toMatchObject({ nextExpectedRevision: -1 });
        expect(await store().readStream(fresh)).toEqual([]);
        const stream = await streamWith(2);
        const last = (await store().readStream(stream)).at(-1);
        await expect(store().append(stream, [], ExpectedRevision.exact(1))).resolves.toEqual({ nextExpectedRevision: 1, position: last?.position });
        await expect(store().append(stream, [], ExpectedRevision.exact(0))).rejects.toEqual(wrong(1));
        await expect(store().append(fresh, [], ExpectedRevision.streamExists)).rejects.toEqual(wrong(-1));
      });

      it('answers a retried append of the same events (same ids) with the first answer, writing nothing twice', async () => {
        const stream = uniqueStream('retried');
        const batch = events(2);
        const first = await store().append(stream, batch, ExpectedRevision.noStream);
        // As a client does when the first answer was lost: the same events, the same expectation.
        await expect(store().append(stream, batch, ExpectedRevision.noStream)).resolves.toEqual(first);
        expect(await store().readStream(stream)).toHaveLength(2);
      });

      it('refuses $-prefixed stream ids and event types before writing (the store keeps those for itself)', async () => {
        await expect(store().append(`$${uniqueStream('system')}`, events(1), ExpectedRevision.any)).rejects.toMatchObject({ name: 'InvalidAppend' });
        const stream = uniqueStream('typed');
        await expect(store().append(stream, [{ ...anEvent(), type: '$metadata' }], ExpectedRevision.any)).rejects.toMatchObject({ name: 'InvalidAppend' });
        expect(await store().readStream(stream)).toEqual([]);
      });

      it('of ten concurrent appends expecting the same revision, exactly one wins and no revision is written twice', async () => {
        const stream = await streamWith(1);
        const outcomes = await Promise.allSettled(Array.from({ length: 10 }, () => store().append(stream, events(2), ExpectedRevision.exact(0))));
        expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
        for (const o of outcomes) if (o.status === 'rejected') expect(o.reason).toEqual(wrong(2));
        expect((await store().readStream(stream)).map((e) => e.streamRevision)).toEqual([0, 1, 2]);
      });

      it('of ten concurrent appends creating the same stream, exactly one wins', async () => {
        const stream = uniqueStream('create-race');
        const outcomes = await Promise.allSettled(Array.from({ length: 10 }, () => store().append(stream, events(3), ExpectedRevision.noStream)));
        expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
        for (const o of outcomes) if (o.status === 'rejected') expect(o.reason).toEqual(wrong(2));
        expect((await store().readStream(stream)).map((e) => e.streamRevision)).toEqual([0, 1, 2]);
      });
    });

    describe('reading the whole log', () => {
      it('reads events of all streams in the order they were appended', async () => {
        const [a, b] = [uniqueStream('a'), uniqueStream('b')];
        const after = await store().headPosition();
        const ids = [...(await appendAll(store(), a, 2)), ...(await appendAll(store(), b, 1)), ...(await appendAll(store(), a, 1))];
        const read = await eventually(async () => {
          const found = await readAllOf(store(), after, new Set([a, b]));
          expect(found.map((e) => e.eventId)).toEqual(ids);
          return found;
        });
        expect(read.map((e) => `${e.streamId === a ? 'a' : 'b'}${e.streamRevision}`)).toEqual(['a0', 'a1', 'b0', 'a2']);
      });

      it('reads only the events after a given position, at most maxCount of them', async () => {
        const stream = uniqueStream('after');
        const first = await store().append(stream, events(1), ExpectedRevision.noStream);
        const later = await appendAll(store(), stream, 3, ExpectedRevision.exact(0));
        await eventually(async () => expect((await readAllOf(store(), first.position, new Set([stream]))).map((e) => e.eventId)).toEqual(later));
        const page = await store().readAll({ after: first.position, maxCount: 2 });
        expect(page.map((e) => e.eventId)).toEqual(later.slice(0, 2));
      });

      // The store's own filtered read, and the fallback every store has (a readAll page filtered by the caller).
      for (const [how, reader] of [['its own read', () => store()], ['a readAll page filtered', () => withoutReplayRead(store())]] as const) {
        describe(`replaying, through ${how}`, () => {
        it('reads a replay page of some event types only, lean, passing over the others up to the head', async () => {
          const [a, b] = [uniqueStream('replay_a'), uniqueStream('replay_b')];
          const suffix = randomUUID().slice(0, 8);
          const [wanted, other] = [`ReplayWanted${suffix}`, `ReplayOther${suffix}`];
          const after = await store().headPosition();
          await store().append(a, [anEvent(wanted, { n: 1 }), anEvent(other, { n: 2 }), anEvent(wanted, { n: 3 }, 2)], ExpectedRevision.noStream);
          const last = await store().append(b, [anEvent(other, { n: 4 }), anEvent(wanted, { n: 5 })], ExpectedRevision.noStream);
          await eventually(async () => {
            const read = await replayAll(reader(), after, [wanted], 2);
            expect(read.events.map((e) => ({ stream: e.streamId, revision: e.streamRevision, type: e.type, schemaVersion: e.schemaVersion, data: e.data }))).toEqual([
              { stream: a, revision: 0, type: wanted, schemaVersion: 1, data: { n: 1 } },
              { stream: a, revision: 2, type: wanted, schemaVersion: 2, data: { n: 3 } },
              { stream: b, revision: 1, type: wanted, schemaVersion: 1, data: { n: 5 } },
            ]);
            expect(read.pages.every((p) => p.count <= 2)).toBe(true);
            expect(comparePositions(read.through, last.position)).toBeGreaterThanOrEqual(0);
          });
        });

        it('a replay read of types nobody wrote returns nothing, yet reaches the head', async () => {
          const appended = await store().append(uniqueStream('replay_none'), events(3), ExpectedRevision.noStream);
          await eventually(async () => {
            const read = await replayAll(reader(), START, [`NeverWritten${randomUUID()}`], 1000);
            expect(read.events).toEqual([]);
            expect(comparePositions(read.through, appended.position)).toBeGreaterThanOrEqual(0);
          });
        });

        });
      }

      it('reports the position of the newest event as the head', async () => {
        const appended = await store().append(uniqueStream('head'), events(2), ExpectedRevision.noStream);
        await eventually(async () => expect(comparePositions(await store().headPosition(), appended.position)).toBeGreaterThanOrEqual(0));
      });

      it('answers a ping', async () => {
        await expect(store().ping()).resolves.toBeUndefined();
      });
    });

    describe('subscriptions', () => {
      it('delivers the events already stored, then those appended after subscribing', async () => {
        const stream = uniqueStream('live');
        const after = await store().headPosition();
        const stored = await appendAll(store(), stream, 3);
        const recorder = new Recorder((id) => id === stream);
        const subscription = store().subscribe(recorder.handle, { after });
        try {
          await recorder.waitFor(3, subscription);
          const live = await appendAll(store(), stream, 2, ExpectedRevision.exact(2));
          const received = await recorder.waitFor(5, subscription);
          expect(received.map((e) => e.eventId)).toEqual([...stored, ...live]);
        } finally {
          await subscription.close();
        }
      });

      it('subscribing after a checkpoint delivers only the events after it', async () => {
        const stream = uniqueStream('checkpoint');
        const checkpoint = await store().append(stream, events(2), ExpectedRevision.noStream);
        const later = await appendAll(store(), stream, 2, ExpectedRevision.exact(1));
        const recorder = new Recorder((id) => id === stream);
        const subscription = store().subscribe(recorder.handle, { after: checkpoint.position });
        try {
          await recorder.waitFor(2, subscription);
          // Delivery is in log order: once an event appended after all the others is in, nothing earlier can still come.
          const [last] = await appendAll(store(), stream, 1, ExpectedRevision.exact(3));
          await recorder.waitFor(3, subscription);
          expect(recorder.received.map((e) => e.eventId)).toEqual([...later, last]);
        } finally {
          await subscription.close();
        }
      });

      it('delivers batches of at most batchSize, the next only once the handler has settled', async () => {
        const stream = uniqueStream('batches');
        const after = await store().headPosition();
        await appendAll(store(), stream, 10);
        let inFlight = 0;
        let maxInFlight = 0;
        const sizes: number[] = [];
        const recorder = new Recorder((id) => id === stream);
        const subscription = store().subscribe(async (batch) => {
          inFlight++;
          maxInFlight = Math.max(maxInFlight, inFlight);
          sizes.push(batch.length);
          await sleep(15);
          await recorder.handle(batch);
          inFlight--;
        }, { after, batchSize: 3 });
        try {
          await recorder.waitFor(10, subscription);
          expect(Math.max(...sizes)).toBeLessThanOrEqual(3);
          expect(maxInFlight).toBe(1);
        } finally {
          await subscription.close();
        }
      });

      it('stops when the handler throws, rejecting done with its error', async () => {
        const after = await store().headPosition();
        await store().append(uniqueStream('poison'), events(1), ExpectedRevision.noStream);
        const poison = new Error('cannot digest this');
        const subscription = store().subscribe(() => Promise.reject(poison), { after });
        await expect(subscription.done).rejects.toBe(poison);
        await subscription.close();
      });

      it('stops on close(), resolving done and delivering nothing more', async () => {
        const stream = uniqueStream('closing');
        const recorder = new Recorder((id) => id === stream);
        const subscription = store().subscribe(recorder.handle, { after: await store().headPosition() });
        const first = await store().append(stream, events(1), ExpectedRevision.noStream);
        await recorder.waitFor(1, subscription);
        await subscription.close();
        await expect(subscription.done).resolves.toBeUndefined();
        // A live subscription from the same place sees the next event: had the closed one gone on, it would have too.
        const witness = new Recorder((id) => id === stream);
        const watching = store().subscribe(witness.handle, { after: first.position });
        try {
          const [next] = await appendAll(store(), stream, 1, ExpectedRevision.exact(0));
          expect((await witness.waitFor(1, watching)).map((e) => e.eventId)).toEqual([next]);
        } finally {
          await watching.close();
        }
        expect(recorder.received).toHaveLength(1);
      });
    });

    describe('under concurrent writers', () => {
      concurrentWritersSpec(store);
    });
  });
}

async function appendAll(store: EventStore, stream: string, count: number, expected = ExpectedRevision.any): Promise<string[]> {
  const batch = events(count);
  await store.append(stream, batch, expected);
  return batch.map((e) => e.eventId);
}

/** Follows replay pages from `after` to the end, checking each moves forward. */
async function replayAll(store: EventStore, after: LogPosition, types: readonly string[], maxCount: number) {
  const events: ReplayedEvent[] = [];
  const pages: { count: number }[] = [];
  let through = after;
  for (;;) {
    const page = await readForReplay(store, { after: through, maxCount, types });
    expect(comparePositions(page.through, through)).toBeGreaterThanOrEqual(0);
    expect(page.events.every((e) => types.includes(e.type))).toBe(true);
    events.push(...page.events);
    pages.push({ count: page.events.length });
    through = page.through;
    if (page.end) return { events, pages, through };
  }
}

/** The store as one without a replay read of its own: readForReplay falls back to readAll. */
function withoutReplayRead(store: EventStore): EventStore {
  return {
    append: (stream, events, expected) => store.append(stream, events, expected),
    readStream: (stream, options) => store.readStream(stream, options),
    readAll: (options) => store.readAll(options),
    subscribe: (handler, options) => store.subscribe(handler, options),
    headPosition: () => store.headPosition(),
    ping: () => store.ping(),
    close: () => store.close(),
  };
}
