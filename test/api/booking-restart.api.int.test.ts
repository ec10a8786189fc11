import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../infra/clock.js';
import { BOOKING_JOBS } from '../../infra/scheduler/booking-jobs.js';
import { createTestDatabase } from '../support/database.js';
import { startTestService } from '../support/service.js';
import { aTherapist } from '../support/therapists.js';

const NOW = '2027-03-01T11:00:00.000Z';

interface AgendaRow {
  name: string;
  next_run_at: Date | null;
  data: { bookingId?: string };
}

/** The scheduler (Agenda on PostgreSQL) stores each deadline as a job, so a restart loses none. */
describe('Booking deadlines across a restart', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeAll(async () => {
    database = await createTestDatabase('restart');
  });
  afterAll(async () => {
    await database.drop();
  });

  it('keeps the hold and expiry jobs of a pending request through a restart, and they expire it when due', async () => {
    const clock = new ManualClock(NOW);
    const env = { SCHEDULER_ENABLED: 'true' };
    const first = await startTestService({ databaseUrl: database.url, clock, env });
    const therapist = await aTherapist(first.services);
    await first.request('POST', '/api/availability/rules', { token: therapist.token, body: { rules: [{ dayOfWeek: 2, startTime: '09:00', endTime: '12:00' }] } });
    const requested = await first.request('POST', '/api/public/bookings', {
      body: { therapistId: therapist.id, patientName: 'Juan Pérez', patientEmail: 'juan@example.com', patientPhone: '+5491112345678', requestedDate: '2027-03-02', requestedTime: '10:00', paymentMethod: 'bank_transfer' },
    });
    expect(requested.status).toBe(201);
    const bookingId = String(requested.json.id);
    await first.close();

    const second = await startTestService({ databaseUrl: database.url, clock, env });
    try {
      const jobs = await second.services.db<AgendaRow>('agenda_jobs').select('name', 'next_run_at', 'data');
      const mine = jobs.filter((j) => j.data.bookingId === bookingId);
      expect(mine.map((j) => [j.name, j.next_run_at?.toISOString()]).sort()).toEqual([
        [BOOKING_JOBS.requestExpiry, requested.json.expiresAt],
        [BOOKING_JOBS.holdExpiry, requested.json.holdExpiresAt],
      ].sort());

      // Time passes beyond both deadlines; the stored jobs run (now, rather than waiting for the wall clock).
      clock.set('2027-03-01T12:30:00.000Z');
      const scheduler = second.services.scheduler;
      if (!scheduler) throw new Error('the scheduler should run');
      for (const job of mine) await scheduler.agenda.now(job.name, job.data);
      await expect
        .poll(async () => (await second.services.store.readStream(`therapist-${therapist.id}`)).map((e) => e.type), { timeout: 20_000, interval: 200 })
        .toEqual(expect.arrayContaining(['BookingHoldExpired', 'BookingExpired']));
      await expect.poll(async () => (await second.request('GET', `/api/public/bookings/${bookingId}?token=${String(requested.json.patientToken)}`)).json.status, { timeout: 20_000 }).toBe('expired');
    } finally {
      await second.close();
    }
  });
});
