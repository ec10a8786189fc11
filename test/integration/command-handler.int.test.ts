import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandHandler } from '../../commands/command-handler.js';
import { Conflict } from '../../domain/shared/domain-error.js';
import { therapistDecider } from '../../domain/therapist/therapist-decider.js';
import { therapistEventCodec } from '../../domain/therapist/therapist-events.js';
import { PostgresEventStore } from '../../infra/event-store/postgres-event-store.js';
import { aBookingRequest } from '../support/booking-commands.js';
import { createTestDatabase } from '../support/database.js';


const metadata = { correlationId: 'c', causationId: null, actor: { kind: 'system', job: 'test' } } as const;
const now = new Date('2027-03-01T11:00:00.000Z');
const stream = 'therapist-00000000-0000-4000-8000-0000000000aa';

/**
 * Two command handlers on one store stand for two service processes: each decides first on the state
 * it holds in memory, which the other may have outdated; the expected revision and a re-read on any
 * refusal keep every answer the one a fresh read would give.
 */
describe('Command handler deciding on the state it holds in memory', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let store: PostgresEventStore;
  beforeAll(async () => {
    database = await createTestDatabase('handler');
    store = await PostgresEventStore.create(database.url);
  });
  afterAll(async () => {
    await store.close();
    await database.drop();
  });

  const handler = () => new CommandHandler(store, therapistDecider, therapistEventCodec);
  const request = (bookingId: string) => aBookingRequest(bookingId, '10:00', now);

  it('refuses a slot another process took since, and grants one another process freed since', async () => {
    const a = handler();
    const b = handler();
    await a.handle(stream, { type: 'RegisterTherapist', therapistId: '00000000-0000-4000-8000-0000000000aa', name: 'Lic. A', slug: 'a', email: 'a@example.com', timezone: 'America/Argentina/Buenos_Aires', sessionPrice: 1, now }, metadata);
    await a.handle(stream, { type: 'DefineAvailability', rules: [{ ruleId: 'r', dayOfWeek: 2, startTime: '09:00', endTime: '12:00' }] }, metadata);

    await b.handle(stream, request('00000000-0000-4000-8000-0000000000b1'), metadata);
    // A's state does not know B's hold: its first decision says yes, the append says no, the re-read says taken.
    await expect(a.handle(stream, request('00000000-0000-4000-8000-0000000000a1'), metadata)).rejects.toMatchObject({ code: 'slot_unavailable' });
    expect((await store.readStream(stream)).filter((e) => e.type === 'BookingRequested')).toHaveLength(1);

    await b.handle(stream, { type: 'CancelBooking', bookingId: '00000000-0000-4000-8000-0000000000b1', by: 'therapist', patientTokenHash: null, reason: null, patientLinkHours: 24, now }, metadata);
    // A's state still holds B's booking as live: its first decision refuses, the re-read grants.
    const granted = await a.handle(stream, request('00000000-0000-4000-8000-0000000000a2'), metadata);
    expect(granted.events.map((e) => e.type)).toEqual(['BookingRequested']);
    await expect(a.handle(stream, request('00000000-0000-4000-8000-0000000000a3'), metadata)).rejects.toBeInstanceOf(Conflict);
  });
});
