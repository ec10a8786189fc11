import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EsdbFaultServer } from '../support/esdb-fault-server.js';
import { ManualClock } from '../../infra/clock.js';
import { bookingBody, MONDAY_8AM, openTherapist } from '../support/calendar-fixtures.js';
import { startTestService, type TestService } from '../support/service.js';

/**
 * The service on EventStoreDB when the store misbehaves (issue 14), through the real client against
 * the wire-level fault server: projections follow through a dropped connection, `/ready` answers
 * when the store stops answering.
 */
describe('The service on an EventStoreDB that drops and hangs', () => {
  let server: EsdbFaultServer;
  let service: TestService;
  beforeAll(async () => {
    server = await EsdbFaultServer.start();
    service = await startTestService({ env: { EVENTSTORE_URL: server.url() }, clock: new ManualClock(MONDAY_8AM) });
  });
  afterAll(async () => {
    await service.close();
    await server.stop();
  });

  it('answers 503 naming the event store, within its bound, while every read waits forever; and ready again once the store answers', async () => {
    await expect.poll(async () => (await service.request('GET', '/ready')).status, { timeout: 20_000 }).toBe(200);
    const release = server.holdReads();
    const hung = await service.request('GET', '/ready');
    expect(hung.status).toBe(503);
    expect(hung.json).toMatchObject({ status: 'not_ready', checks: { eventStore: { ok: false, kind: 'eventstoredb' }, database: { ok: true } } });
    release();
    await expect.poll(async () => (await service.request('GET', '/ready')).status, { timeout: 20_000 }).toBe(200);
  }, 30_000);

  it('follows the log through a dropped subscription: what is appended meanwhile reaches the read models once', async () => {
    const therapist = await openTherapist(service);
    server.dropSubscriptions();
    const booked = await service.request('POST', '/api/public/bookings', { body: bookingBody(therapist.id, '10:00') });
    expect(booked.status).toBe(201);
    const rows = async (table: string) => Number((await service.services.db(table).where({ therapist_id: therapist.id }).count<{ n: string }[]>('* as n'))[0]?.n);
    await expect.poll(() => rows('read.booking_requests'), { timeout: 20_000 }).toBe(1);
    expect(await rows('read.busy_intervals')).toBe(1);
    await expect.poll(async () => ((await service.request('GET', '/ready')).json.checks as { eventStore: { subscription: { resubscribed: number } } }).eventStore.subscription.resubscribed, { timeout: 20_000 }).toBeGreaterThanOrEqual(1);
  }, 30_000);

  it('counts the events of other applications it skipped, for ops', async () => {
    server.writeForeign({ streamId: 'other-app-1', type: 'SomethingElse' });
    await expect.poll(async () => ((await service.request('GET', '/ready')).json.checks as { eventStore: { foreignEventsSkipped: number } }).eventStore.foreignEventsSkipped, { timeout: 20_000 }).toBeGreaterThan(0);
  });
});
