import { spawn, type ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../infra/postgres/embedded-postgres.js';
import { request } from '../support/service.js';

const exec = promisify(execFile);

interface Started {
  readonly child: ChildProcess;
  readonly baseUrl: string;
  readonly output: () => string;
  readonly demo: { id: string; token: string };
}

/** `npm start` as a newcomer runs it (tsx src/main.ts), in its own data folder and port. */
async function start(dataDir: string): Promise<Started> {
  try {
    return await startOnce(dataDir);
  } catch (error) {
    // The free port picked for it can be taken by a parallel test before the service binds it.
    if (error instanceof Error && error.message.includes('already in use')) return startOnce(dataDir);
    throw error;
  }
}

async function startOnce(dataDir: string): Promise<Started> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: { ...process.env, PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'warn', DATABASE_URL: '', EVENTSTORE_URL: '', REDIS_URL: '', MONGODB_URL: '', DATA_ENCRYPTION_KEY: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 90_000;
  while (!/demo therapist token: (\S+)/.test(output)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`npm start did not come up (exit ${child.exitCode}):\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const token = /demo therapist token: (\S+)/.exec(output)?.[1] ?? '';
  const id = /\(id ([0-9a-f-]{36})\)/.exec(output)?.[1] ?? '';
  return { child, baseUrl: `http://127.0.0.1:${port}`, output: () => output, demo: { id, token } };
}

function stop(started: Started): Promise<number | null> {
  return new Promise((resolve) => {
    started.child.once('exit', (code) => resolve(code));
    started.child.kill('SIGTERM');
  });
}

describe('npm start on a fresh machine', () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'psicopay-'));
    // mkdtemp makes it private (700); as root the embedded server runs as `postgres` and must enter it.
    chmodSync(dir, 0o755);
    dirs.push(dir);
    return dir;
  };
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('starts with embedded defaults, seeds a demo therapist, and keeps its data across restarts', async () => {
    const dataDir = tempDir();
    const first = await start(dataDir);
    try {
      expect((await request(first.baseUrl, 'GET', '/health')).status).toBe(200);
      await expect.poll(async () => (await request(first.baseUrl, 'GET', '/ready')).status, { timeout: 30_000 }).toBe(200);
      await expect.poll(async () => (await request(first.baseUrl, 'GET', '/api/public/therapists/demo')).json, { timeout: 10_000 }).toMatchObject({ id: first.demo.id, slug: 'demo' });

      // A newcomer's first query: the demo's next 7 days, with no dates given, already show bookable slots.
      const week = await request(first.baseUrl, 'GET', '/api/public/availability?slug=demo');
      expect(week.status).toBe(200);
      const days = week.json.days as { date: string; slots: { time: string; status: string }[] }[];
      expect(days).toHaveLength(7);
      const open = days.flatMap((d) => d.slots.filter((s) => s.status === 'available').map((s) => ({ date: d.date, time: s.time })));
      expect(open.length).toBeGreaterThan(0);
      const slot = open[0] ?? { date: '', time: '' };
      const booked = await request(first.baseUrl, 'POST', '/api/public/bookings', {
        body: { therapistId: first.demo.id, patientName: 'Juan Pérez', patientEmail: 'juan@example.com', patientPhone: '+54 9 11 1234-5678', requestedDate: slot.date, requestedTime: slot.time, paymentMethod: 'bank_transfer' },
      });
      expect(booked.status).toBe(201);
      // Without DATA_ENCRYPTION_KEY the master key is generated once into the data folder, for its owner only.
      expect(statSync(path.join(dataDir, 'secrets', 'data-encryption.key')).mode & 0o777).toBe(0o600);

      // The CLI joins the embedded database the running service started in the same DATA_DIR.
      const { stdout } = await exec(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'therapist', 'create', '--name', 'Lic. Ana', '--slug', 'lic-ana', '--email', 'ana@example.com'], {
        // The same data folder, so the same generated master key as the service.
        env: { ...process.env, DATA_DIR: dataDir, DATABASE_URL: '', LOG_LEVEL: 'silent', DATA_ENCRYPTION_KEY: '' },
        timeout: 60_000,
      });
      const created = JSON.parse(stdout.trim()) as { id: string };
      await expect.poll(async () => (await request(first.baseUrl, 'GET', '/api/public/therapists/lic-ana')).json, { timeout: 10_000 }).toMatchObject({ id: created.id });
    } finally {
      expect(await stop(first)).toBe(0);
    }

    const second = await start(dataDir);
    try {
      expect(second.demo.id).toBe(first.demo.id);
      await expect.poll(async () => (await request(second.baseUrl, 'GET', '/api/public/therapists/lic-ana')).status, { timeout: 10_000 }).toBe(200);
    } finally {
      await stop(second);
    }
  });

  it('runs two instances side by side with different data folders', async () => {
    const [a, b] = await Promise.all([start(tempDir()), start(tempDir())]);
    try {
      expect(a.demo.id).not.toBe(b.demo.id);
      expect((await request(a.baseUrl, 'GET', '/health')).status).toBe(200);
      expect((await request(b.baseUrl, 'GET', '/health')).status).toBe(200);
    } finally {
      await Promise.all([stop(a), stop(b)]);
    }
  });

  it('ends a failing CLI command with a non-zero status, also when the CLI started the embedded cluster itself', async () => {
    const dataDir = tempDir();
    const cli = (args: string[]) =>
      exec(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { env: { ...process.env, DATA_DIR: dataDir, DATABASE_URL: '', LOG_LEVEL: 'silent' }, timeout: 90_000 }).then(
        () => ({ code: 0, stderr: '' }),
        (error: { code: number; stderr: string }) => error,
      );
    expect(await cli(['therapist', 'create', '--name', 'X', '--slug', 'Bad Slug', '--email', 'nope'])).toMatchObject({ code: 1, stderr: expect.stringMatching(/slug.*email/s) as unknown });
    expect(await cli(['projections', 'rebuild', 'no-such-projection'])).toMatchObject({ code: 1 });
    expect(await cli(['no-such-command'])).toMatchObject({ code: 2, stderr: expect.stringContaining('Usage') as unknown });
  });

  it('refuses bad configuration with one clear line and no stack trace', async () => {
    const result = await exec(process.execPath, ['--import', 'tsx', 'src/main.ts'], { env: { ...process.env, DATABASE_URL: 'nonsense' }, timeout: 30_000 }).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => error,
    );
    expect(result.code).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/DATABASE_URL must be a URL starting with postgres:\/\//);
  });

  it('refuses an external database without DATA_ENCRYPTION_KEY, in one line: every process must share one master key', async () => {
    const result = await exec(process.execPath, ['--import', 'tsx', 'src/main.ts'], { env: { ...process.env, DATABASE_URL: inject('postgresAdminUrl'), DATA_ENCRYPTION_KEY: '', PORT: '0' }, timeout: 60_000 }).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => error,
    );
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^DATA_ENCRYPTION_KEY must be set when DATABASE_URL is/) as unknown]);
  });

  it('refuses an external database without PATIENT_TOKEN_SECRET, in one line: every process must sign patient links with the same keys', async () => {
    const result = await exec(process.execPath, ['--import', 'tsx', 'src/main.ts'], { env: { ...process.env, DATABASE_URL: inject('postgresAdminUrl'), PATIENT_TOKEN_SECRET: '', PORT: '0' }, timeout: 60_000 }).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => error,
    );
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^PATIENT_TOKEN_SECRET must be set when DATABASE_URL is/) as unknown]);
  });

  it('reports an unreachable database in one line', async () => {
    const port = await freePort();
    const result = await exec(process.execPath, ['--import', 'tsx', 'src/main.ts'], { env: { ...process.env, DATABASE_URL: `postgres://x:y@127.0.0.1:${port}/none` }, timeout: 30_000 }).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => error,
    );
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/Cannot connect to PostgreSQL at postgres:\/\/x:\*\*\*@127\.0\.0\.1/);
  });
});
