import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../support/database.js';
import { request, startTestService, type TestService } from '../support/service.js';
import { startServiceProcess, type ServiceProcess } from '../support/service-process.js';
import { aTherapist } from '../support/therapists.js';

interface Day {
  date: string;
  slots: { time: string; status: string }[];
}

/**
 * Two service processes on one database: within a process commands to a stream are queued, so
 * between processes only optimistic concurrency (the expected revision) guards the calendar.
 */
describe('Two service processes on one database', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let setup: TestService;
  let a: ServiceProcess;
  let b: ServiceProcess;

  beforeAll(async () => {
    database = await createTestDatabase('two_processes');
    // Migrates the database and gives the test a handle on the store; its clock is the real one, like the processes'.
    setup = await startTestService({ databaseUrl: database.url });
    const env = { DATABASE_URL: database.url, SEED_DEMO_THERAPIST: 'false', SCHEDULER_ENABLED: 'false', RATE_LIMIT_PUBLIC_BOOKINGS_PER_HOUR: '0', RATE_LIMIT_PUBLIC_AVAILABILITY_PER_HOUR: '0' };
    [a, b] = await Promise.all([startServiceProcess(env), startServiceProcess(env)]);
  }, 120_000);
  afterAll(async () => {
    await Promise.all([a.stop(), b.stop()]);
    await setup.close();
    await database.drop();
  });

  const openAllWeek = async () => {
    const therapist = await aTherapist(setup.services);
    const rules = [0, 1, 2, 3, 4, 5, 6].map((d) => ({ dayOfWeek: d, startTime: '08:00', endTime: '20:00' }));
    expect((await request(a.baseUrl, 'POST', '/api/availability/rules', { token: therapist.token, body: { rules } })).status).toBe(200);
    return therapist;
  };
  const availableSlots = async (therapistId: string, count: number) => {
    const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
    const res = await request(b.baseUrl, 'GET', `/api/public/availability?therapistId=${therapistId}&start=${day(3)}&end=${day(30)}`);
    const slots = (res.json.days as Day[]).flatMap((d) => d.slots.filter((s) => s.status === 'available').map((s) => ({ date: d.date, time: s.time })));
    return slots.slice(0, count);
  };
  const book = (baseUrl: string, therapistId: string, slot: { date: string; time: string }, i: number) =>
    request(baseUrl, 'POST', '/api/public/bookings', {
      body: { therapistId, patientName: `Paciente ${i}`, patientEmail: `p${i}@example.com`, patientPhone: `+54911${String(i).padStart(8, '0')}`, requestedDate: slot.date, requestedTime: slot.time, paymentMethod: 'bank_transfer' },
    });

  it('books 200 different slots of one therapist through both processes at once: all 201', async () => {
    const therapist = await openAllWeek();
    const slots = await availableSlots(therapist.id, 200);
    expect(slots).toHaveLength(200);
    const answers = await Promise.all(slots.map((slot, i) => book(i % 2 === 0 ? a.baseUrl : b.baseUrl, therapist.id, slot, i)));
    expect(answers.filter((r) => r.status !== 201).map((r) => ({ status: r.status, body: r.json }))).toEqual([]);
    const events = await setup.services.store.readStream(`therapist-${therapist.id}`);
    expect(events.filter((e) => e.type === 'BookingRequested')).toHaveLength(200);
  });

  it('gives one slot to exactly one of 200 requests split over both processes', async () => {
    const therapist = await openAllWeek();
    const [slot] = await availableSlots(therapist.id, 1);
    if (!slot) throw new Error('no slot');
    const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => book(i % 2 === 0 ? a.baseUrl : b.baseUrl, therapist.id, slot, i)));
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(199);
    const events = await setup.services.store.readStream(`therapist-${therapist.id}`);
    expect(events.filter((e) => e.type === 'BookingRequested')).toHaveLength(1);
  });
});
