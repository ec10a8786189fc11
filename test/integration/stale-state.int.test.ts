import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CommandHandler } from '../../commands/command-handler.js';
import { therapistDecider } from '../../domain/therapist/therapist-decider.js';
import { therapistEventCodec } from '../../domain/therapist/therapist-events.js';
import { defaultBookingPolicies } from '../../domain/availability/availability-types.js';
import { ExpectedRevision } from '../../infra/event-store/event-store.js';
import { reviveTherapistState, THERAPIST_STATE_VERSION } from '../../domain/therapist/therapist-state.js';
import { PostgresSnapshotStore } from '../../infra/postgres/postgres-snapshot-store.js';
import { aBookingRequest } from '../support/booking-commands.js';
import { useEventStoreDatabase } from '../support/database.js';


const metadata = { correlationId: 'c', causationId: null, actor: { kind: 'system', job: 'test' } } as const;
const now = new Date('2027-03-01T11:00:00.000Z');

/**
 * The store can fall behind what a process folded: a database restored from a backup, another
 * EVENTSTORE_URL switched in. Then the cached state and the snapshot name revisions the store lacks;
 * every append used to fail its expected revision 20 times and answer 409, and a restart did not
 * help (the snapshot wedged it again). Now the handler drops both and folds from the store.
 */
describe('A cached state or snapshot ahead of the event store', () => {
  const database = useEventStoreDatabase('stale_state');

  const stale: string[] = [];
  const handler = () =>
    new CommandHandler(database.store, therapistDecider, therapistEventCodec, {
      maxAttempts: 3,
      snapshots: { store: new PostgresSnapshotStore(database.db), stateVersion: THERAPIST_STATE_VERSION, every: 5, revive: reviveTherapistState },
      onStaleState: (streamId) => stale.push(streamId),
    });
  const request = (bookingId: string, time: string) => aBookingRequest(bookingId, time, now);

  /** A therapist open Tuesday 09:00–12:00 (revision 1), then three bookings (revisions 2–4) and policy changes up to revision 11, snapshotted at 4 and 9. */
  async function aStreamThatIsThenRestoredToRevision1(writer: ReturnType<typeof handler>) {
    const therapistId = randomUUID();
    const stream = `therapist-${therapistId}`;
    await writer.handle(stream, { type: 'RegisterTherapist', therapistId, name: 'Lic. B', slug: `b-${therapistId.slice(0, 8)}`, email: 'b@example.com', timezone: 'America/Argentina/Buenos_Aires', sessionPrice: 1, now }, metadata);
    await writer.handle(stream, { type: 'DefineAvailability', rules: [{ ruleId: 'r', dayOfWeek: 2, startTime: '09:00', endTime: '12:00' }] }, metadata);
    for (const [i, time] of ['09:00', '10:00', '11:00'].entries()) await writer.handle(stream, request(`00000000-0000-4000-8000-00000000000${i}`, time), metadata);
    for (let i = 0; i < 7; i++) await writer.handle(stream, { type: 'ChangeBookingPolicies', changes: { bufferAfterMinutes: i % 2 === 0 ? 15 : 10 } }, metadata);
    expect((await writer.load(stream)).revision).toBe(11);
    await expect.poll(async () => (await new PostgresSnapshotStore(database.db).load(stream, THERAPIST_STATE_VERSION))?.revision).toBe(9);
    // The restore: everything after the weekly schedule is gone from the store.
    await database.db.raw('DELETE FROM event_store.events WHERE stream_id = ? AND stream_revision > 1', [stream]);
    await database.db.raw('UPDATE event_store.streams SET revision = 1 WHERE stream_id = ?', [stream]);
    return stream;
  }

  it('in the process that folded it: the next command folds from the store and is decided on what the store holds', async () => {
    const writer = handler();
    const stream = await aStreamThatIsThenRestoredToRevision1(writer);
    // The cached state still holds a booking at 10:00; the store does not: the slot is free.
    const result = await writer.handle(stream, request('00000000-0000-4000-8000-0000000000a1', '10:00'), metadata);
    expect(result.events.map((e) => e.type)).toEqual(['BookingRequested']);
    expect(result.revision).toBe(2);
    expect((await database.store.readStream(stream)).map((e) => e.streamRevision)).toEqual([0, 1, 2]);
    expect(stale).toContain(stream);
  });

  it('in a cold process (a restart): the snapshot is dropped, not trusted again', async () => {
    const stream = await aStreamThatIsThenRestoredToRevision1(handler());
    const restarted = handler();
    const result = await restarted.handle(stream, request('00000000-0000-4000-8000-0000000000b1', '09:00'), metadata);
    expect(result.revision).toBe(2);
    expect(await new PostgresSnapshotStore(database.db).load(stream, THERAPIST_STATE_VERSION)).toBeUndefined();
    // A process started after that folds the store's history and agrees with it.
    expect((await handler().load(stream)).revision).toBe(2);
  });

  it('in a cold process, when the restored store grew back past the snapshot with other events: told apart by event id', async () => {
    const stream = await aStreamThatIsThenRestoredToRevision1(handler());
    // Another history since the restore: ten policy changes, the last one setting a 30-minute buffer.
    for (let i = 0; i < 10; i++) {
      const bufferAfterMinutes = i === 9 ? 30 : 5;
      const other = therapistEventCodec.encode({ type: 'BookingPoliciesChanged', data: { ...defaultBookingPolicies('America/Argentina/Buenos_Aires'), bufferAfterMinutes } });
      await database.store.append(stream, [{ eventId: randomUUID(), ...other, metadata }], ExpectedRevision.exact(1 + i));
    }
    const loaded = await handler().load(stream);
    expect(loaded.revision).toBe(11);
    // The snapshot's history held three bookings; the store's holds none.
    expect(loaded.state).toMatchObject({ policies: { bufferAfterMinutes: 30 } });
    expect(loaded.state.status === 'registered' ? Object.keys(loaded.state.bookings) : undefined).toEqual([]);
    expect(stale).toContain(stream);
  });
});
