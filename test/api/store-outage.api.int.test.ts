import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { bookingBody, MONDAY_8AM, openTherapist } from '../support/calendar-fixtures.js';
import { useTestService } from '../support/service.js';

const WAIT = { timeout: 20_000, interval: 100 };

/** The projections follow the log through the store dropping their connection (issue 14, PostgreSQL). */
describe('Projections through a dropped event-store connection', () => {
  const running = useTestService({ now: MONDAY_8AM });

  it('resubscribe from where they were: what is appended meanwhile reaches the read models once, and /ready tells the resubscription', async () => {
    const { service } = running;
    const therapist = await openTherapist(service);
    const admin = new pg.Client({ connectionString: service.services.databaseUrl });
    await admin.connect();
    try {
      // Two readers follow the log: the projections' and the integrations reactor's.
      await expect.poll(async () => (await admin.query("SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN event_store_appended'")).rowCount, WAIT).toBe(2);
      // The readers' LISTEN connections go, as in a failover or a terminated backend.
      await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN event_store_appended'");
      const booked = await service.request('POST', '/api/public/bookings', { body: bookingBody(therapist.id, '10:00') });
      expect(booked.status).toBe(201);
      await expect.poll(async () => (await admin.query<{ n: number }>('SELECT count(*)::int AS n FROM read.booking_requests WHERE therapist_id = $1', [therapist.id])).rows[0]?.n, WAIT).toBe(1);
      await expect.poll(async () => (await service.request('GET', '/ready')).json, WAIT).toMatchObject({ status: 'ready', checks: { eventStore: { subscription: { connected: true, resubscribed: 1 } } } });
      // Applied once: the availability projection's busy interval and the pipeline's row, one each.
      expect((await admin.query<{ n: number }>('SELECT count(*)::int AS n FROM read.busy_intervals WHERE therapist_id = $1', [therapist.id])).rows[0]?.n).toBe(1);
    } finally {
      await admin.end();
    }
  });
});
