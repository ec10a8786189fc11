import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CommandHandler } from '../../commands/command-handler.js';
import { therapistDecider } from '../../domain/therapist/therapist-decider.js';
import { therapistEventCodec } from '../../domain/therapist/therapist-events.js';
import { reviveTherapistState, THERAPIST_STATE_VERSION } from '../../domain/therapist/therapist-state.js';
import type { EventStore, ReadStreamOptions, RecordedEvent } from '../../infra/event-store/event-store.js';
import { PostgresSnapshotStore } from '../../infra/postgres/postgres-snapshot-store.js';
import { useEventStoreDatabase } from '../support/database.js';

const metadata = { correlationId: 'c', causationId: null, actor: { kind: 'system', job: 'test' } } as const;

/** Counts what readStream hands out, over the real store: how much a cold fold had to read. */
function counting(store: EventStore): { store: EventStore; read: () => number } {
  let read = 0;
  const wrapped: EventStore = Object.assign(Object.create(store) as EventStore, {
    readStream: async (streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]> => {
      const events = await store.readStream(streamId, options);
      read += events.length;
      return events;
    },
  });
  return { store: wrapped, read: () => read };
}

describe('Snapshots of a long therapist stream', () => {
  const database = useEventStoreDatabase('snapshots');

  const handler = (eventStore: EventStore) =>
    new CommandHandler(eventStore, therapistDecider, therapistEventCodec, {
      snapshots: { store: new PostgresSnapshotStore(database.db), stateVersion: THERAPIST_STATE_VERSION, every: 100, revive: reviveTherapistState },
    });

  /**
   * A therapist stream of its own with 451 events (revision 450), written by a handler that snapshots
   * every 100; resolves once the last snapshot (revision 399) is stored, with the state the writer folded.
   */
  const aLongStream = async () => {
    const therapistId = randomUUID();
    const stream = `therapist-${therapistId}`;
    const slug = `largo-${therapistId.slice(0, 8)}`;
    const writer = handler(database.store);
    await writer.handle(stream, { type: 'RegisterTherapist', therapistId, name: 'Lic. Largo', slug, email: `${slug}@example.com`, timezone: 'America/Argentina/Buenos_Aires', sessionPrice: 15000, now: new Date('2027-01-01T00:00:00Z') }, metadata);
    for (let i = 0; i < 450; i++) {
      await writer.handle(stream, { type: 'ChangeBookingPolicies', changes: { bufferAfterMinutes: i % 2 === 0 ? 15 : 10 } }, metadata);
    }
    const expected = await writer.load(stream);
    expect(expected.revision).toBe(450);
    // Snapshots are saved in the background: wait for the newest, not for a span of time.
    await expect.poll(async () => (await new PostgresSnapshotStore(database.db).load(stream, THERAPIST_STATE_VERSION))?.revision, { timeout: 20_000 }).toBe(399);
    return { stream, expected };
  };

  it('lets a cold process fold only the events after the latest snapshot, to the same state', async () => {
    const { stream, expected } = await aLongStream();
    const cold = counting(database.store);
    const loaded = await handler(cold.store).load(stream);
    expect(loaded).toEqual(expected);
    // The snapshot's own event (399), which the fold reads to prove the store still holds it, then the 51 after it.
    expect(cold.read()).toBe(52);
  });

  it('ignores a snapshot of another state version and folds from the start', async () => {
    const { stream } = await aLongStream();
    const cold = counting(database.store);
    const other = new CommandHandler(cold.store, therapistDecider, therapistEventCodec, {
      snapshots: { store: new PostgresSnapshotStore(database.db), stateVersion: 'therapist-state-0', every: 1000, revive: reviveTherapistState },
    });
    expect((await other.load(stream)).revision).toBe(450);
    expect(cold.read()).toBe(451);
  });
});
