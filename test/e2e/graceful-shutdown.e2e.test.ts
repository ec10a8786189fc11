import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../support/database.js';
import { request, startTestService, type TestService } from '../support/service.js';
import { startServiceProcess, type ServiceProcess } from '../support/service-process.js';
import { aTherapist } from '../support/therapists.js';

/** src/main.ts's bound on the whole shutdown: past it the process exits 1. */
const SHUTDOWN_BOUND_MS = 25_000;

interface Answer {
  readonly status: number | 'no answer';
  readonly bookingId?: string;
  readonly at: number;
}

/**
 * SIGTERM to the real service (`tsx src/main.ts`) while a burst of bookings is in flight: it stops
 * accepting connections, finishes what it took, stops the scheduler, the integrations and the
 * projections, and exits 0 — and every booking it answered 201 is in the event store.
 */
describe('Graceful shutdown under load', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let setup: TestService;
  let service: ServiceProcess;

  beforeAll(async () => {
    database = await createTestDatabase('graceful_shutdown');
    // Migrates the database and gives the specification its own handle on the event store.
    setup = await startTestService({ databaseUrl: database.url });
    service = await startServiceProcess({ DATABASE_URL: database.url, SEED_DEMO_THERAPIST: 'false', RATE_LIMIT_PUBLIC_BOOKINGS_PER_HOUR: '0', RATE_LIMIT_PUBLIC_AVAILABILITY_PER_HOUR: '0' });
  }, 120_000);
  afterAll(async () => {
    await service.stop();
    await setup.close();
    await database.drop();
  });

  it('answers every booking it took before exiting 0 within its bound, and loses none it accepted', async () => {
    const therapist = await aTherapist(setup.services);
    const rules = [0, 1, 2, 3, 4, 5, 6].map((dayOfWeek) => ({ dayOfWeek, startTime: '08:00', endTime: '20:00' }));
    expect((await request(service.baseUrl, 'POST', '/api/availability/rules', { token: therapist.token, body: { rules } })).status).toBe(200);
    const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
    const week = await request(service.baseUrl, 'GET', `/api/public/availability?therapistId=${therapist.id}&start=${day(3)}&end=${day(20)}`);
    const slots = (week.json.days as { date: string; slots: { time: string; status: string }[] }[]).flatMap((d) => d.slots.filter((s) => s.status === 'available').map((s) => ({ date: d.date, time: s.time })));
    expect(slots.length).toBeGreaterThanOrEqual(80);

    // When: 80 patients book at once, and the service is told to stop as soon as the first is answered.
    const book = async (slot: { date: string; time: string }, i: number): Promise<Answer> => {
      const body = { therapistId: therapist.id, patientName: `Paciente ${i}`, patientEmail: `p${i}@example.com`, patientPhone: `+54911${String(i).padStart(8, '0')}`, requestedDate: slot.date, requestedTime: slot.time, paymentMethod: 'bank_transfer' };
      try {
        const res = await request(service.baseUrl, 'POST', '/api/public/bookings', { body });
        return { status: res.status, ...(typeof res.json.id === 'string' ? { bookingId: res.json.id } : {}), at: Date.now() };
      } catch {
        // A connection the stopping server never took (or closed idle) is refused: the command was never received.
        return { status: 'no answer', at: Date.now() };
      }
    };
    const burst = slots.slice(0, 80).map((slot, i) => book(slot, i));
    await Promise.race(burst);
    const signalledAt = Date.now();
    const exited = service.stop();
    const answers = await Promise.all(burst);
    const exitCode = await exited;
    const stoppedIn = Date.now() - signalledAt;

    // Then: it exited 0 within its bound, and answered in-flight requests after the signal.
    expect(exitCode, service.output()).toBe(0);
    expect(stoppedIn).toBeLessThan(SHUTDOWN_BOUND_MS);
    expect(answers.filter((a) => a.status !== 201 && a.status !== 'no answer'), 'nothing but 201 or a connection never taken').toEqual([]);
    const accepted = answers.filter((a) => a.status === 201);
    expect(accepted.filter((a) => a.at > signalledAt).length, 'bookings answered after SIGTERM').toBeGreaterThan(0);

    // Every 201 has its BookingRequested in the event store: no accepted command lost.
    const recorded = new Set(
      (await setup.services.store.readStream(`therapist-${therapist.id}`))
        .filter((e) => e.type === 'BookingRequested')
        .map((e) => (e.data as { bookingId: string }).bookingId),
    );
    expect(accepted.filter((a) => !a.bookingId || !recorded.has(a.bookingId))).toEqual([]);
    expect(recorded.size).toBeGreaterThanOrEqual(accepted.length);
  });
});
