import { execFile } from 'node:child_process';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../infra/clock.js';
import { createLogger } from '../../infra/logging/logger.js';
import { bookingBody, MONDAY_8AM, openTherapist } from '../support/calendar-fixtures.js';
import { startTestService, type TestService } from '../support/service.js';

const exec = promisify(execFile);

/** What a patient typed, which must appear in no error text: not in /ready, the checkpoint, the logs or the CLI. */
const ZOE = { patientName: 'Zoe Secretname', patientEmail: 'zoe.secret@example.com', patientPhone: '+5491199887766', reasonForConsultation: 'Un motivo muy privado' };
const SECRETS = ['Secretname', 'zoe.secret', '5491199887766', 'muy privado'];

/**
 * A projection that fails while flushing a booking's row: knex would put the SQL's bindings (the
 * patient's data) in the error, which the runner stored, logged and served. Now each place says
 * what failed and where, never with what.
 */
describe('Error text carries no personal data', () => {
  let service: TestService;
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });

  beforeAll(async () => {
    service = await startTestService({ clock: new ManualClock(MONDAY_8AM), logger: createLogger('debug', {}, sink) });
  });
  afterAll(async () => {
    await service.close();
  });

  it('when the bookings projection fails on a row with a patient\'s data', async () => {
    const therapist = await openTherapist(service);
    // The read model refuses this row (as a constraint added by a migration might): the projection must fail.
    await service.services.db.raw("ALTER TABLE read.booking_requests ADD CONSTRAINT refuse_zoe CHECK (patient_phone NOT LIKE '+5491199%')");
    const booked = await service.request('POST', '/api/public/bookings', { body: bookingBody(therapist.id, '10:00', ZOE) });
    expect(booked.status).toBe(201);

    await expect.poll(async () => (await service.request('GET', '/ready')).status, { timeout: 20_000 }).toBe(503);
    const ready = await service.request('GET', '/ready');
    const bookings = (ready.json.checks as { projections: Record<string, unknown>[] }).projections.find((p) => p.name === 'bookings');
    expect(bookings).toMatchObject({ status: 'failed' });
    expect(bookings).not.toHaveProperty('error');
    const readyText = JSON.stringify(ready.body);

    const stored = await service.services.db('projections.checkpoints').where({ name: 'bookings' }).first<{ last_error: string }>();
    expect(stored.last_error).toContain('refuse_zoe');

    const cli = await exec(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'projections', 'status'], { env: { ...process.env, DATABASE_URL: service.services.databaseUrl, LOG_LEVEL: 'silent' }, timeout: 60_000 });
    const status = (JSON.parse(cli.stdout) as { projections: { name: string; state: string; lastFailure: string | null }[] }).projections.find((p) => p.name === 'bookings');
    expect(status).toMatchObject({ state: 'failed', lastFailure: expect.stringContaining('refuse_zoe') as unknown });

    const logs = lines.join('');
    expect(logs).toContain('projection stopped');
    for (const [place, text] of [['/ready', readyText], ['the checkpoint', stored.last_error], ['the CLI', cli.stdout], ['the logs', logs]] as const) {
      for (const secret of SECRETS) expect(text, `${place} must not contain "${secret}"`).not.toContain(secret);
    }
  });
});
