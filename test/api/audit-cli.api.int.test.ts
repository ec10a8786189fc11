import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { issueAuditorToken } from '../../infra/auth/auditor-credentials.js';
import { bookingBody, MONDAY_8AM, openTherapist } from '../support/calendar-fixtures.js';
import { useTestService } from '../support/service.js';

const exec = promisify(execFile);
const MARTA = { patientName: 'Marta Historial', patientEmail: 'marta.historial@example.com', patientPhone: '+5491188889999', reasonForConsultation: 'Insomnio persistente' };
const REASON = 'Marta viaja a Córdoba';

/**
 * Issue 15, the auditors' command line: `history <stream>` prints one readable line per event
 * (recorded time in the therapist's zone, revision, type, actor, a summary without personal data);
 * `replay --therapist --as-of` prints the calendar as of that instant, the same answer as the API's.
 */
describe('Audit: history and replay from the command line', () => {
  const running = useTestService({ now: MONDAY_8AM });
  const cli = (...args: string[]) =>
    exec(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { env: { ...process.env, DATABASE_URL: running.service.services.databaseUrl, LOG_LEVEL: 'silent' }, timeout: 60_000 });
  const failure = async (...args: string[]) => {
    const failed = (await cli(...args).then(() => undefined, (error: unknown) => error)) as { code?: number; stderr?: string } | undefined;
    return { code: failed?.code, stderr: failed?.stderr ?? '' };
  };

  it("given a booking requested and cancelled by the patient, then history prints its timeline without the patient's data, and replay the calendar as of the request", async () => {
    const { service } = running;
    const therapist = await openTherapist(service);
    const booked = await service.request('POST', '/api/public/bookings', { body: bookingBody(therapist.id, '10:00', MARTA) });
    expect(booked.status).toBe(201);
    const bookingId = String(booked.json.id);
    expect((await service.request('POST', `/api/public/bookings/${bookingId}/cancel`, { body: { token: booked.json.patientToken, reason: REASON } })).status).toBe(200);
    const stream = `therapist-${therapist.id}`;
    const events = await service.services.store.readStream(stream);

    const { stdout } = await cli('history', stream);

    const [header, ...lines] = stdout.trimEnd().split('\n');
    expect(header).toBe(`${stream}: ${events.length} events`);
    expect(lines.map((l) => l.split('  ').slice(1, 3))).toEqual(events.map((e) => [`#${e.streamRevision}`, e.type]));
    // Buenos Aires time (UTC−3), to the millisecond, as the store recorded it.
    const requested = events.find((e) => e.type === 'BookingRequested');
    const local = new Date((requested?.recordedAt.getTime() ?? 0) - 3 * 3_600_000).toISOString().replace('T', ' ').replace('Z', ' -03:00');
    const requestLine = lines.find((l) => l.includes('BookingRequested'));
    expect(requestLine?.startsWith(local)).toBe(true);
    expect(requestLine).toContain(`by patient of booking ${bookingId.slice(0, 8)}`);
    expect(requestLine).toContain('requestedDate=2027-03-02 · requestedTime=10:00');
    expect(requestLine).toContain('contact sealed');
    expect(lines.find((l) => l.includes('BookingCancelled'))).toContain(`booking ${bookingId.slice(0, 8)} · cancelledBy=patient · reason sealed`);
    for (const value of [MARTA.patientName, MARTA.patientEmail, MARTA.patientPhone, '5491188889999', MARTA.reasonForConsultation, REASON, 'Marta']) expect(stdout).not.toContain(value);

    const asOf = requested?.recordedAt.toISOString() ?? '';
    const replayed = JSON.parse((await cli('replay', '--therapist', therapist.id, '--as-of', asOf, '--start', '2027-03-02', '--end', '2027-03-02')).stdout) as Record<string, unknown>;
    expect(replayed.bookings).toEqual([expect.objectContaining({ bookingId, status: 'pending_payment', requestedDate: '2027-03-02', requestedTime: '10:00' })]);
    const auditor = (await issueAuditorToken(service.services.db, { name: 'Peritaje', therapistId: null, expiresAt: null })).token;
    const answered = await service.request('GET', `/api/audit/therapists/${therapist.id}/calendar?asOf=${asOf}&start=2027-03-02&end=2027-03-02`, { token: auditor });
    expect(replayed).toEqual(answered.json);
    for (const value of [MARTA.patientName, MARTA.patientEmail, MARTA.patientPhone]) expect(JSON.stringify(replayed)).not.toContain(value);
  }, 120_000);

  it('refuses what it cannot read with exit 1 and a one-line reason', async () => {
    const therapist = await openTherapist(running.service);
    const cases = [
      { args: ['history', 'not-a-stream'], says: 'stream id' },
      { args: ['history', 'patient-00000000-0000-4000-8000-000000000000'], says: 'has no events' },
      { args: ['replay', '--therapist', 'dra-maria', '--as-of', '2027-03-01T11:00:00Z'], says: '--therapist' },
      { args: ['replay', '--therapist', therapist.id, '--as-of', 'ayer'], says: '--as-of' },
      { args: ['replay', '--therapist', therapist.id, '--as-of', '2000-01-01T00:00:00Z'], says: 'had no calendar' },
    ];
    for (const { args, says } of cases) {
      const { code, stderr } = await failure(...args);
      expect(code, args.join(' ')).toBe(1);
      expect((JSON.parse(stderr) as { error: string }).error, args.join(' ')).toContain(says);
    }
  }, 180_000);
});
