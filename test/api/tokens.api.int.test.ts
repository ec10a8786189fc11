import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { MONDAY_8AM } from '../support/calendar-fixtures.js';
import { request, startTestService, useTestService } from '../support/service.js';
import { aTherapist } from '../support/therapists.js';

const exec = promisify(execFile);

/** A therapist's API tokens (issue 11): created, listed, revoked, rotated, expiring; from the API and the CLI. */
describe('Therapist tokens', () => {
  const running = useTestService({ now: MONDAY_8AM });

  it('creates a token with a label and an expiry, lists it without its secret, and marks the one in use', async () => {
    const { service } = running;
    const therapist = await aTherapist(service.services);
    const created = await service.request('POST', '/api/tokens', { token: therapist.token, body: { label: 'tablet', expiresAt: '2027-06-30T00:00:00Z' } });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ label: 'tablet', expiresAt: '2027-06-30T00:00:00.000Z', revokedAt: null, token: expect.stringMatching(/^tk_/) as unknown });
    const listed = await service.request('GET', '/api/tokens', { token: String(created.json.token) });
    const tokens = listed.json.tokens as { id: string; label: string; current: boolean; token?: string }[];
    expect(tokens.map((t) => [t.label, t.current])).toEqual([['default', false], ['tablet', true]]);
    expect(JSON.stringify(listed.body)).not.toContain(String(created.json.token));
  });

  it('refuses an expiry in the past and unknown fields, field by field', async () => {
    const { service } = running;
    const therapist = await aTherapist(service.services);
    const refused = await service.request('POST', '/api/tokens', { token: therapist.token, body: { label: 'x', expiresAt: '2020-01-01T00:00:00Z', scope: 'all' } });
    expect(refused.status).toBe(422);
    expect((refused.json.errors as { field: string }[]).map((e) => e.field).sort()).toEqual(['expiresAt', 'scope']);
  });

  it('stops a revoked token at once, and an expired one when its time comes', async () => {
    const { service, clock } = { service: running.service, clock: running.clock };
    const therapist = await aTherapist(service.services);
    const spare = await service.request('POST', '/api/tokens', { token: therapist.token, body: { label: 'phone', expiresAt: '2027-03-01T12:00:00Z' } });
    const token = String(spare.json.token);
    expect((await service.request('GET', '/api/bookings', { token })).status).toBe(200);
    clock.set('2027-03-01T12:00:00.000Z');
    expect((await service.request('GET', '/api/bookings', { token })).status).toBe(401);
    clock.set(MONDAY_8AM);
    expect((await service.request('DELETE', `/api/tokens/${String(spare.json.id)}`, { token: therapist.token })).status).toBe(204);
    expect((await service.request('GET', '/api/bookings', { token })).status).toBe(401);
  });

  it('rotates a token: the new one works, the old one stops, and the new one names the one it replaced', async () => {
    const { service } = running;
    const therapist = await aTherapist(service.services);
    const listed = await service.request('GET', '/api/tokens', { token: therapist.token });
    const [first] = listed.json.tokens as { id: string }[];
    const rotated = await service.request('POST', `/api/tokens/${String(first?.id)}/rotate`, { token: therapist.token, body: {} });
    expect(rotated.status).toBe(201);
    expect(rotated.json.rotatedFrom).toBe(first?.id);
    expect((await service.request('GET', '/api/bookings', { token: therapist.token })).status).toBe(401);
    expect((await service.request('GET', '/api/bookings', { token: String(rotated.json.token) })).status).toBe(200);
    // A revoked token cannot be rotated into a live one.
    expect((await service.request('POST', `/api/tokens/${String(first?.id)}/rotate`, { token: String(rotated.json.token), body: {} })).status).toBe(404);
  });

  it('never lets a token that expires mint one that outlives it, by creating or by rotating', async () => {
    const { service } = running;
    const therapist = await aTherapist(service.services);
    const shortLived = await service.request('POST', '/api/tokens', { token: therapist.token, body: { label: 'short', expiresAt: '2027-03-02T00:00:00Z' } });
    const token = String(shortLived.json.token);
    const longer = await service.request('POST', '/api/tokens', { token, body: { label: 'forever' } });
    expect(longer.json.expiresAt).toBe('2027-03-02T00:00:00.000Z');
    const refused = await service.request('POST', '/api/tokens', { token, body: { label: 'later', expiresAt: '2027-04-01T00:00:00Z' } });
    expect(refused.status).toBe(422);
    expect((refused.json.errors as { field: string }[]).map((e) => e.field)).toEqual(['expiresAt']);
    // Rotating keeps the rotated token's expiry unless asked otherwise, and within the caller's.
    const rotated = await service.request('POST', `/api/tokens/${String(shortLived.json.id)}/rotate`, { token, body: {} });
    expect(rotated.json.expiresAt).toBe('2027-03-02T00:00:00.000Z');
    const main = (await service.request('GET', '/api/tokens', { token: therapist.token })).json.tokens as { id: string; label: string }[];
    const forever = await service.request('POST', `/api/tokens/${String(main.find((t) => t.label === 'default')?.id)}/rotate`, { token: String(rotated.json.token), body: { expiresAt: null } });
    expect(forever.json.expiresAt).toBe('2027-03-02T00:00:00.000Z');
  });

  it('stops a token revoked through one process in every other process on the same database', async () => {
    const other = await startTestService({ databaseUrl: running.service.services.databaseUrl, clock: running.clock });
    try {
      const therapist = await aTherapist(running.service.services);
      const spare = await running.service.request('POST', '/api/tokens', { token: therapist.token, body: { label: 'shared' } });
      const token = String(spare.json.token);
      expect((await request(other.baseUrl, 'GET', '/api/bookings', { token })).status).toBe(200);
      await running.service.request('DELETE', `/api/tokens/${String(spare.json.id)}`, { token: therapist.token });
      expect((await request(other.baseUrl, 'GET', '/api/bookings', { token })).status).toBe(401);
    } finally {
      await other.close();
    }
  });

  it('manages tokens from the CLI: a therapist token created, listed and revoked; an auditor token that reads the history', async () => {
    const { service } = running;
    const therapist = await aTherapist(service.services);
    const cli = async (...args: string[]) => {
      const { stdout } = await exec(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { env: { ...process.env, DATABASE_URL: service.services.databaseUrl, LOG_LEVEL: 'silent' }, timeout: 60_000 });
      return JSON.parse(stdout) as Record<string, unknown>;
    };
    const created = await cli('therapist', 'token', 'create', '--therapist', therapist.slug, '--label', 'ops');
    expect((await service.request('GET', '/api/bookings', { token: String(created.token) })).status).toBe(200);
    const listed = await cli('therapist', 'token', 'list', '--therapist', therapist.id);
    expect((listed.tokens as { label: string }[]).map((t) => t.label)).toEqual(['default', 'ops']);
    await cli('therapist', 'token', 'revoke', String(created.id));
    expect((await service.request('GET', '/api/bookings', { token: String(created.token) })).status).toBe(401);

    const auditor = await cli('auditor', 'token', 'create', '--name', 'Estudio Contable');
    const history = await service.request('GET', `/api/audit/therapists/${therapist.id}/events`, { token: String(auditor.token) });
    expect(history.status).toBe(200);
    expect((history.json.events as { type: string }[])[0]?.type).toBe('TherapistRegistered');
  }, 120_000);
});
