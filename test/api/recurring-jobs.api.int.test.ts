import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../infra/clock.js';
import { dailyGenerationJob } from '../../infra/scheduler/recurring-jobs.js';
import { createTestDatabase } from '../support/database.js';
import { startTestService } from '../support/service.js';
import { openTherapist } from '../support/calendar-fixtures.js';

const exec = promisify(execFile);
const ZONE = 'America/Argentina/Buenos_Aires';

interface AgendaRow {
  name: string;
  repeat_interval: string | null;
  repeat_timezone: string | null;
  next_run_at: Date | null;
}

/** The daily generation as Agenda stores and runs it, and the ops backup from the CLI (spec 9.4). */
describe('Recurring generation jobs', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeAll(async () => {
    database = await createTestDatabase('recurjobs');
  });
  afterAll(async () => {
    await database.drop();
  });

  it('stores one daily job at 00:00 of each time zone with recurrences, kept across a restart, and it generates when it runs', async () => {
    const clock = new ManualClock('2027-03-01T11:00:00.000Z');
    const env = { SCHEDULER_ENABLED: 'true' };
    const first = await startTestService({ databaseUrl: database.url, clock, env });
    const therapist = await openTherapist(first);
    const patient = await first.request('POST', '/api/patients', { token: therapist.token, body: { name: 'Ana Gómez', email: 'ana.jobs@example.com', phone: '+5491155551111' } });
    const created = await first.request('POST', '/api/recurring', { token: therapist.token, body: { patientId: patient.json.id, frequency: 'weekly', dayOfWeek: 2, time: '10:00', startDate: '2027-03-16' } });
    expect(created.status).toBe(201);
    await first.close();

    const second = await startTestService({ databaseUrl: database.url, clock, env });
    try {
      // The repeating one (a restart also queues a one-off run of it: see the next lines).
      const jobs = (await second.services.db<AgendaRow>('agenda_jobs').select('name', 'repeat_interval', 'repeat_timezone', 'next_run_at')).filter((j) => j.name.startsWith('recurring-generation') && j.repeat_interval !== null);
      expect(jobs.map((j) => [j.name, j.repeat_interval, j.repeat_timezone])).toEqual([[dailyGenerationJob(ZONE), '0 0 * * *', ZONE]]);
      // The next run is a local midnight: 03:00 UTC in Buenos Aires.
      expect(jobs[0]?.next_run_at?.toISOString()).toMatch(/T03:00:00\.000Z$/);
      const runsOf = () => second.services.db<{ trigger: string; generated: number }>('app.recurring_generation_runs').select('trigger', 'generated');
      // The restart itself runs the zone's generation once: a midnight missed while down is made up.
      await expect.poll(async () => (await runsOf()).length, { timeout: 20_000, interval: 200 }).toBeGreaterThanOrEqual(1);
      const scheduler = second.services.scheduler;
      if (!scheduler) throw new Error('the scheduler should run');
      // Midnight of the day the first Tuesday comes within 7 days.
      clock.set('2027-03-09T03:00:00.000Z');
      await scheduler.agenda.now(dailyGenerationJob(ZONE), { timezone: ZONE });
      await expect
        .poll(async () => (await second.services.store.readStream(`therapist-${therapist.id}`)).filter((e) => e.type === 'SessionScheduled').length, { timeout: 20_000, interval: 200 })
        .toBe(1);
      const runs = await runsOf();
      expect(runs.every((r) => r.trigger === `daily:${ZONE}`)).toBe(true);
      expect(runs.reduce((sum, r) => sum + r.generated, 0)).toBe(1);
    } finally {
      await second.close();
    }
  });

  it('runs the generation by hand from the CLI and prints the run’s summary; a day still to come is refused', async () => {
    const cli = (...args: string[]) => exec(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'recurring', 'generate', ...args], { env: { ...process.env, DATABASE_URL: database.url, LOG_LEVEL: 'silent' }, timeout: 60_000 });
    const { stdout } = await cli();
    expect(JSON.parse(stdout)).toMatchObject({ trigger: 'cli', processed: 1, errors: [] });
    expect(JSON.parse((await cli('--date', '2026-11-30')).stdout)).toMatchObject({ trigger: 'cli:2026-11-30', forDate: '2026-11-30' });
    const refused = await cli('--date', '2099-01-01').then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => error,
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/--date must be today or earlier/);
  }, 120_000);
});
