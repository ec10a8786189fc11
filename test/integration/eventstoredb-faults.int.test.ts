import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExpectedRevision, type EventToAppend, type RecordedEvent, type Subscription } from '../../infra/event-store/event-store.js';
import { EventStoreDbEventStore, type EventStoreDbOptions } from '../../infra/event-store/eventstoredb-event-store.js';
import { backoffDelay } from '../../infra/event-store/eventstoredb/options.js';
import { anEvent, events } from '../contract/event-store-contract-support.js';
import { EsdbFaultServer } from '../support/esdb-fault-server.js';

/*
 * The EventStoreDB adapter under what a real server and network do to it, driven through the real
 * @eventstore/db-client against a local server that speaks EventStoreDB's wire protocol and injects the
 * faults (test/support/esdb-fault-server.ts). What only a real server proves is listed in the README
 * ("EventStoreDB adapter: what is proven where"); the shared contract runs against one when there is one.
 *
 * Bounds are small so that a fault costs milliseconds; assertions wait for conditions, not for time.
 */
const OPTIONS = {
  timeouts: { pingMs: 300, readMs: 200, appendMs: 200 },
  resubscribe: { initialDelayMs: 10, maxDelayMs: 50 },
} satisfies EventStoreDbOptions;
/** How late a bounded call may settle past its bound on a busy machine. */
const SLACK_MS = 1000;
const POLL = { timeout: 3000, interval: 20 };

const stream = (label: string): string => `faults_${label}-${randomUUID().slice(0, 8)}`;
const ids = (recorded: readonly (RecordedEvent | EventToAppend)[]): string[] => recorded.map((e) => e.eventId);

/** A handler that keeps what it is given. */
const into = (delivered: RecordedEvent[]) => (batch: readonly RecordedEvent[]): Promise<void> => {
  delivered.push(...batch);
  return Promise.resolve();
};

/** Whether the subscription still runs: one the store gave up on would have settled done. */
function isRunning(subscription: Subscription): () => boolean {
  let settled = false;
  subscription.done.then(() => (settled = true), () => (settled = true));
  return () => !settled;
}

/** Times a call that must fail, and returns its error. */
async function failureOf(call: () => Promise<unknown>): Promise<{ error: unknown; elapsedMs: number }> {
  const started = Date.now();
  try {
    await call();
  } catch (error) {
    return { error, elapsedMs: Date.now() - started };
  }
  throw new Error('expected the call to fail');
}

// Short test bounds: on an adapter without its own timers, a fault hangs a call, and that must fail here, not stall the run.
describe('EventStoreDB adapter under faults (real client, wire-level fault server)', { timeout: 8000 }, () => {
  let server: EsdbFaultServer;
  let store: EventStoreDbEventStore;
  const open = async (params: Record<string, string> = {}, batchAppend = false, options: EventStoreDbOptions = OPTIONS): Promise<void> => {
    server = await EsdbFaultServer.start({ batchAppend });
    store = await EventStoreDbEventStore.connect(server.url(params), options);
  };

  afterEach(async () => {
    await store.close();
    await server.stop();
  });

  describe('subscriptions through a dropped connection', () => {
    beforeEach(() => open());

    it('resumes after the last event delivered when the server drops it mid-stream: every event once, in order', async () => {
      const id = stream('drop');
      const first = events(5);
      await store.append(id, first, ExpectedRevision.noStream);
      // The first call delivers three events of the catch-up, then fails as a dropped connection does.
      server.dropNextSubscriptionAfter(3);
      const delivered: RecordedEvent[] = [];
      const running = isRunning(store.subscribe(into(delivered), { batchSize: 2 }));

      await expect.poll(() => delivered.length, POLL).toBe(5);
      // Live now: a second drop, and events written while it resubscribes.
      server.dropSubscriptions();
      const second = events(3);
      await store.append(id, second, ExpectedRevision.exact(4));

      await expect.poll(() => delivered.length, POLL).toBe(8);
      expect(ids(delivered)).toEqual(ids([...first, ...second]));
      // It asked for what followed its last event, not for the log again from the start.
      expect(server.calls.subscriptions.length).toBeGreaterThanOrEqual(3);
      expect(server.calls.subscriptions.slice(1)).not.toContain('start');
      expect(running()).toBe(true);
    });

    it('shows the outage in health() while resubscriptions are refused, and its end once one succeeds', async () => {
      const id = stream('outage');
      const before = events(2);
      await store.append(id, before, ExpectedRevision.noStream);
      const delivered: RecordedEvent[] = [];
      store.subscribe(into(delivered));
      await expect.poll(() => delivered.length, POLL).toBe(2);
      expect(store.health()).toMatchObject({ ok: true, subscriptions: [{ connected: true, outageSince: null, resubscribed: 0 }] });

      server.refuseSubscriptions(true);
      server.dropSubscriptions();
      await expect.poll(() => store.health().ok, POLL).toBe(false);
      expect(store.health().subscriptions[0]).toMatchObject({ connected: false, outageSince: expect.any(String) as unknown });
      // Retried with a pause (bounded, see below), not given up on.
      const attempts = server.calls.subscriptions.length;
      await expect.poll(() => server.calls.subscriptions.length, POLL).toBeGreaterThan(attempts + 1);
      const during = events(2);
      await store.append(id, during, ExpectedRevision.exact(1));

      server.refuseSubscriptions(false);
      await expect.poll(() => delivered.length, POLL).toBe(4);
      expect(ids(delivered)).toEqual(ids([...before, ...during]));
      expect(store.health()).toMatchObject({ ok: true, subscriptions: [{ connected: true, outageSince: null, resubscribed: 1 }] });
    });

    // The client closes its connection on every UNAVAILABLE: retrying over the connection the appends use
    // failed some of them ("Channel closed before call started"), so a subscription has a connection of its own.
    it('leaves appends and reads working while it retries through refusals', async () => {
      const id = stream('beside');
      store.subscribe(into([]));
      await expect.poll(() => server.liveSubscriptions, POLL).toBe(1);
      server.refuseSubscriptions(true);
      server.dropSubscriptions();
      const retriesBefore = server.calls.subscriptions.length;
      let revision = -1;
      while (server.calls.subscriptions.length < retriesBefore + 15) {
        revision = (await store.append(id, events(1), ExpectedRevision.after(revision))).nextExpectedRevision;
        expect((await store.readStream(id, { fromRevision: revision })).map((e) => e.streamRevision)).toEqual([revision]);
      }
      expect(store.health().ok).toBe(false);
    });

    it('waits between resubscriptions doubling from the initial delay up to the cap, jittered within the upper half', () => {
      const bounds = { initialDelayMs: 100, maxDelayMs: 1000 };
      expect([0, 1, 2, 3, 4, 10, 1000].map((attempt) => backoffDelay(attempt, bounds, () => 1))).toEqual([100, 200, 400, 800, 1000, 1000, 1000]);
      expect([0, 1, 2, 3, 4].map((attempt) => backoffDelay(attempt, bounds, () => 0))).toEqual([50, 100, 200, 400, 500]);
    });
  });

  describe('reads from a server that stops answering', () => {
    beforeEach(() => open());

    it('reject within their own bound, each with a clear error, and the calls are cancelled on the server', async () => {
      const id = stream('silent');
      await store.append(id, events(3), ExpectedRevision.noStream);
      server.holdReads();
      const calls = { readAll: () => store.readAll(), readStream: () => store.readStream(id), headPosition: () => store.headPosition(), ping: () => store.ping() };
      for (const [name, call] of Object.entries(calls)) {
        const bound = name === 'ping' ? OPTIONS.timeouts.pingMs : OPTIONS.timeouts.readMs;
        const { error, elapsedMs } = await failureOf(call);
        expect(error, name).toMatchObject({ name: 'EventStoreTimeout', message: expect.stringContaining(`within ${bound} ms`) as unknown });
        expect(elapsedMs, name).toBeLessThan(bound + SLACK_MS);
      }
      await expect.poll(() => server.calls.cancelledWhileHeld, POLL).toBe(4);
    });

    it('reject when the server goes silent midway through a page, instead of returning part of it as if whole', async () => {
      await store.append(stream('midway'), events(5), ExpectedRevision.noStream);
      server.holdReads({ after: 2 });
      const { error } = await failureOf(() => store.readAll());
      expect(error).toMatchObject({ name: 'EventStoreTimeout' });
    });

    it('close() lets a read under way finish whole, and refuses calls after it', async () => {
      const id = stream('closing');
      const written = events(3);
      await store.append(id, written, ExpectedRevision.noStream);
      const release = server.holdReads({ after: 1 });
      const reading = store.readStream(id);
      await expect.poll(() => server.calls.heldReads, POLL).toBe(1);
      const closing = store.close();
      release();
      expect(ids(await reading)).toEqual(ids(written));
      await closing;
      await expect(store.readAll()).rejects.toMatchObject({ name: 'EventStoreClosed' });
    });
  });

  describe('a burst of short reads', () => {
    // No fault here: bounds of seconds, so twenty reads at once on a loaded machine are not mistaken for a dead server.
    beforeEach(() => open({}, false, { ...OPTIONS, timeouts: { pingMs: 3_000, readMs: 5_000, appendMs: 5_000 } }));

    // Found by running the shared contract against the fault server: every append reads its last event
    // back, and cancelling that read once it arrived reset one HTTP/2 stream per append, until the server's
    // reset-flood protection closed the connection (GOAWAY) under every call on it.
    it('lets the server end a read that got all it asked for, instead of resetting its stream, so a thousand do not trip reset-flood protection', async () => {
      const id = stream('burst');
      await store.append(id, events(2), ExpectedRevision.noStream);
      for (let round = 0; round < 60; round++) {
        const reads = await Promise.all(Array.from({ length: 20 }, () => store.readStream(id, { maxCount: 1 })));
        expect(reads.every((read) => read.length === 1), `round ${round}`).toBe(true);
      }
    });
  });

  describe.each([
    { path: 'Append', batchAppend: false },
    { path: 'BatchAppend (what servers since 21.10 offer)', batchAppend: true },
  ])('appends through $path', ({ batchAppend }) => {
    const throughThisPath = (): void => expect(batchAppend ? server.calls.batchAppends : server.calls.appends - server.calls.batchAppends).toBeGreaterThan(0);

    it('an append the server refuses is reported as refused, even when the connection string tells the client not to throw', async () => {
      await open({ throwOnAppendFailure: 'false' }, batchAppend);
      const id = stream('refused');
      await store.append(id, events(2), ExpectedRevision.noStream);

      await expect(store.append(id, events(1), ExpectedRevision.noStream)).rejects.toMatchObject({ name: 'WrongExpectedRevision', actual: 1 });
      // Refused by the server although our expectation holds: still a refusal, never a success.
      server.failNextAppend('wrong-expected-version');
      await expect(store.append(id, events(1), ExpectedRevision.exact(1))).rejects.toMatchObject({ name: 'WrongExpectedRevision', actual: 1 });
      expect(await store.readStream(id)).toHaveLength(2);
      throughThisPath();
    });

    it('an append written but never answered is resolved by reading the stream back for its event ids', async () => {
      await open({}, batchAppend);
      const exact = stream('unanswered');
      await store.append(exact, events(2), ExpectedRevision.noStream);
      for (const [id, expected] of [[exact, ExpectedRevision.exact(1)], [stream('unanswered-any'), ExpectedRevision.any]] as const) {
        const appended = events(2);
        server.failNextAppend('commit-no-answer');
        const started = Date.now();
        const result = await store.append(id, appended, expected);
        expect(Date.now() - started).toBeLessThan(OPTIONS.timeouts.appendMs + OPTIONS.timeouts.readMs + SLACK_MS);
        const last = (await store.readStream(id)).at(-1);
        expect(last?.eventId).toBe(appended.at(-1)?.eventId);
        expect(result).toEqual({ nextExpectedRevision: last?.streamRevision, position: last?.position });
      }
      throughThisPath();
    });

    it('an append neither written nor answered is reported as of unknown outcome within its bound, and retrying it is safe', async () => {
      await open({}, batchAppend);
      const id = stream('lost');
      const lost = events(2);
      server.failNextAppend('no-answer');
      const { error, elapsedMs } = await failureOf(() => store.append(id, lost, ExpectedRevision.noStream));
      expect(error).toMatchObject({ name: 'AppendOutcomeUnknown', streamId: id, eventIds: ids(lost) });
      expect(elapsedMs).toBeLessThan(OPTIONS.timeouts.appendMs + OPTIONS.timeouts.readMs + SLACK_MS);

      await store.append(id, lost, ExpectedRevision.noStream);
      expect(ids(await store.readStream(id))).toEqual(ids(lost));
      throughThisPath();
    });
  });

  describe('events in $all that are not ours', () => {
    beforeEach(() => open());

    it('are skipped and counted by readAll, headPosition and subscriptions, never fatal; system events stay hidden and uncounted', async () => {
      const id = stream('mine');
      const ours = [...events(2), anEvent('Booked')];
      await store.append(id, ours.slice(0, 2), ExpectedRevision.noStream);
      server.writeForeign({ streamId: 'crm-contact-1', type: 'ContactCreated' });
      server.writeForeign({ streamId: 'crm-contact-1', type: 'ContactRenamed', metadata: 'not json at all' });
      server.writeForeign({ streamId: 'web-ui-test', type: 'Poked', metadata: JSON.stringify({ $correlationId: 'x' }) });
      server.writeForeign({ streamId: '$stats-127.0.0.1:2113', type: '$statsCollected', metadata: JSON.stringify({ $v: 1 }) });
      await store.append(id, ours.slice(2), ExpectedRevision.exact(1));
      // The newest event of the log is foreign: the head must still be ours.
      server.writeForeign({ streamId: 'crm-contact-2', type: 'ContactCreated', metadata: JSON.stringify([1, 2]) });

      const read = await store.readAll();
      expect(ids(read)).toEqual(ids(ours));
      expect(store.health()).toMatchObject({
        foreignEventsSkipped: 4,
        lastForeignEvent: { streamId: 'crm-contact-2', type: 'ContactCreated', reason: 'metadata is not a JSON object' },
      });

      expect(await store.headPosition()).toEqual(read.at(-1)?.position);
      expect(store.health().foreignEventsSkipped).toBe(5);

      const delivered: RecordedEvent[] = [];
      const running = isRunning(store.subscribe(into(delivered)));
      await expect.poll(() => store.health().foreignEventsSkipped, POLL).toBe(9);
      await expect.poll(() => delivered.length, POLL).toBe(3);
      expect(ids(delivered)).toEqual(ids(ours));
      expect(running()).toBe(true);
    });

    it('are reported to onForeignEvent, for the log', async () => {
      const seen: string[] = [];
      await store.close();
      store = await EventStoreDbEventStore.connect(server.url(), { ...OPTIONS, onForeignEvent: (e) => seen.push(`${e.streamId}: ${e.reason}`) });
      server.writeForeign({ streamId: 'crm-contact-1', type: 'ContactCreated' });
      server.writeForeign({ streamId: 'crm-contact-1', type: 'ContactRenamed', metadata: JSON.stringify({ schemaVersion: 1 }), contentType: 'application/octet-stream' });
      await store.readAll();
      expect(seen).toEqual(['crm-contact-1: no metadata', 'crm-contact-1: data is not JSON']);
    });

    // Unchanged from before the fault work, and kept on purpose: the skipping above must not reach our own streams.
    it('in one of our streams are an error: skipping one would hide a revision from optimistic concurrency', async () => {
      const id = stream('tampered');
      await store.append(id, events(1), ExpectedRevision.noStream);
      server.writeForeign({ streamId: id, type: 'Edited' });
      await expect(store.readStream(id)).rejects.toThrow(/not written by this event store/);
    });
  });

  describe('names EventStoreDB reserves', () => {
    beforeEach(() => open());

    it('$-prefixed stream ids and event types are refused before anything reaches the server', async () => {
      await expect(store.append('$ours', events(1), ExpectedRevision.any)).rejects.toMatchObject({ name: 'InvalidAppend' });
      await expect(store.append(stream('typed'), [anEvent('$Ticked')], ExpectedRevision.any)).rejects.toMatchObject({ name: 'InvalidAppend' });
      await expect(store.append('$ours', [], ExpectedRevision.any)).rejects.toMatchObject({ name: 'InvalidAppend' });
      expect(server.calls.appends).toBe(0);
      expect(server.events).toEqual([]);
    });
  });
});
