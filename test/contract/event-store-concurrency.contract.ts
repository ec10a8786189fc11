import { expect, it } from 'vitest';
import {
  ExpectedRevision,
  WrongExpectedRevision,
  comparePositions,
  type EventStore,
  type RecordedEvent,
} from '../../infra/event-store/event-store.js';
import { Recorder, events, sleep, uniqueStream } from './event-store-contract-support.js';

const WRITERS = 20;
const APPENDS_PER_WRITER = 3;
const SHARED_STREAMS = 3;

const randomInt = (below: number): number => Math.floor(Math.random() * below);

/**
 * The guarantee projections rest on: with writers racing each other (so commits land out of the
 * order their positions were taken in), a subscriber that was running from the start still sees
 * every event exactly once, each stream in revision order, the whole in increasing log order.
 */
export function concurrentWritersSpec(getStore: () => EventStore, rounds = 50): void {
  it(`lets a subscriber see every event of ${WRITERS} concurrent writers exactly once, in each stream's order (${rounds} rounds)`, async () => {
    for (let round = 0; round < rounds; round++) {
      await runRound(getStore(), round);
    }
  }, 120_000);
}

async function runRound(store: EventStore, round: number): Promise<void> {
  const prefix = uniqueStream(`race${round}`);
  const recorder = new Recorder((streamId) => streamId.startsWith(prefix));
  const subscription = store.subscribe(recorder.handle, { after: await store.headPosition(), batchSize: 1 + randomInt(60) });
  try {
    const shared = Array.from({ length: SHARED_STREAMS }, (_, k) => `${prefix}-shared${k}`);
    const written = (await Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(store, `${prefix}-w${w}`, shared)))).flat();

    const received = await recorder.waitFor(written.length, subscription);
    const context = `round ${round}`;
    const ids = received.map((e) => e.eventId);
    expect(new Set(ids).size, `${context}: an event was delivered twice`).toBe(ids.length);
    expect([...ids].sort(), `${context}: delivered events differ from appended ones`).toEqual([...written].sort());
    expectLogOrder(received, context);
    expectStreamOrder(received, context);
  } finally {
    await subscription.close();
  }
}

/** Appends a few batches of 1–5 events, to its own stream or to a shared one, with small random pauses. */
async function writer(store: EventStore, own: string, shared: readonly string[]): Promise<string[]> {
  const written: string[] = [];
  let ownRevision = -1;
  for (let n = 0; n < APPENDS_PER_WRITER; n++) {
    await sleep(randomInt(4));
    const batch = events(1 + randomInt(5));
    const target = shared[randomInt(shared.length * 2)];
    if (target === undefined) {
      ownRevision = (await store.append(own, batch, ExpectedRevision.after(ownRevision))).nextExpectedRevision;
    } else if (Math.random() < 0.5) {
      await store.append(target, batch, ExpectedRevision.any);
    } else {
      await appendOptimistically(store, target, batch);
    }
    written.push(...batch.map((e) => e.eventId));
  }
  return written;
}

/** What a command handler does: read the revision, append expecting it, and on a lost race try again. */
async function appendOptimistically(store: EventStore, streamId: string, batch: ReturnType<typeof events>): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const revision = (await store.readStream(streamId)).at(-1)?.streamRevision ?? -1;
    try {
      await store.append(streamId, batch, ExpectedRevision.after(revision));
      return;
    } catch (error) {
      if (!(error instanceof WrongExpectedRevision) || attempt >= 100) throw error;
      await sleep(randomInt(3));
    }
  }
}

function expectLogOrder(received: readonly RecordedEvent[], context: string): void {
  for (let i = 1; i < received.length; i++) {
    const [before, after] = [received[i - 1], received[i]];
    if (before && after && comparePositions(before.position, after.position) >= 0) {
      expect.fail(`${context}: ${after.eventId} delivered after ${before.eventId} though its log position is not later`);
    }
  }
}

function expectStreamOrder(received: readonly RecordedEvent[], context: string): void {
  const revisions = new Map<string, number[]>();
  for (const e of received) revisions.set(e.streamId, [...(revisions.get(e.streamId) ?? []), e.streamRevision]);
  for (const [streamId, seen] of revisions) {
    expect(seen, `${context}: ${streamId} out of revision order or with a gap`).toEqual(seen.map((_, i) => i));
  }
}
