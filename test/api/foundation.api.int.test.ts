import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../support/service.js';

const exec = promisify(execFile);

function cli(args: string[], env: Record<string, string>) {
  return exec(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { env: { ...process.env, ...env }, timeout: 60_000 });
}

describe('Foundation API', () => {
  let service: TestService;

  beforeAll(async () => {
    service = await startTestService();
  });
  afterAll(async () => {
    await service.close();
  });

  it('answers liveness', async () => {
    const res = await service.request('GET', '/health');
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ status: 'ok' });
    expect(res.headers.get('x-request-id')).toBeTruthy();
  });

  it('answers readiness with database, event store, scheduler and projection lag', async () => {
    const res = await service.request('GET', '/ready');
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ status: 'ready', checks: { database: { ok: true }, eventStore: { ok: true, kind: 'postgres' }, scheduler: { ok: true } } });
    const projections = (res.json.checks as { projections: { name: string; status: string; lag: number }[] }).projections;
    expect(projections.map((p) => p.name)).toContain('therapists');
    expect(projections.every((p) => p.status === 'running')).toBe(true);
  });

  it('registers a therapist from the CLI while the service runs, and serves the public profile', async () => {
    const { stdout } = await cli(['therapist', 'create', '--name', 'Dra. María López', '--slug', 'dra-maria', '--email', 'Maria@Example.com', '--timezone', 'America/Argentina/Cordoba', '--price', '18000'], { DATABASE_URL: service.services.databaseUrl, LOG_LEVEL: 'silent' });
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const created = JSON.parse(lines[0] ?? '{}') as { id: string; slug: string; token: string };
    expect(created).toMatchObject({ slug: 'dra-maria' });
    expect(created.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.token).toMatch(/^tk_/);

    await expect
      .poll(async () => (await service.request('GET', '/api/public/therapists/dra-maria')).json, { timeout: 10_000 })
      .toEqual({ id: created.id, name: 'Dra. María López', slug: 'dra-maria', timezone: 'America/Argentina/Cordoba', sessionPrice: 18000, currency: 'ARS' });

    const stored = await service.services.db('app.therapist_credentials').where({ therapist_id: created.id }).first<{ token_hash: string }>();
    expect(stored.token_hash).not.toContain(created.token);
    expect(stored.token_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses a slug that is taken, and bad CLI input field by field', async () => {
    await expect(cli(['therapist', 'create', '--name', 'Otra', '--slug', 'dra-maria', '--email', 'o@example.com'], { DATABASE_URL: service.services.databaseUrl, LOG_LEVEL: 'silent' })).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('already taken') as unknown });
    await expect(cli(['therapist', 'create', '--name', 'X', '--slug', 'Bad Slug', '--email', 'nope'], { DATABASE_URL: service.services.databaseUrl, LOG_LEVEL: 'silent' })).rejects.toMatchObject({ code: 1, stderr: expect.stringMatching(/name.*slug.*email/s) as unknown });
  });

  it('answers unknown therapists and routes with problem+json 404', async () => {
    const profile = await service.request('GET', '/api/public/therapists/nobody-here');
    expect(profile.status).toBe(404);
    expect(profile.headers.get('content-type')).toContain('application/problem+json');
    expect(profile.json).toMatchObject({ status: 404, code: 'therapist_not_found', instance: '/api/public/therapists/nobody-here' });
    const route = await service.request('GET', '/api/nowhere');
    expect(route.status).toBe(404);
    expect(route.json).toMatchObject({ code: 'route_not_found' });
  });

  it('answers a malformed path parameter with a field-level 400', async () => {
    const res = await service.request('GET', '/api/public/therapists/NOT%20A%20SLUG');
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ status: 400, errors: [{ field: 'slug' }] });
  });
});
