import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { freePort, startEmbeddedPostgres } from '../../infra/postgres/embedded-postgres.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Superuser URL of the test cluster's `postgres` database; each test file makes its own database. */
    postgresAdminUrl: string;
    /** Redis for tests, or '' when no redis-server is installed (those tests report themselves skipped). */
    redisUrl: string;
  }
}

/** One embedded PostgreSQL cluster (and one redis-server) for the whole run; files isolate by database. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // One data encryption key for the run, inherited by the test workers and the processes they spawn,
  // so no specification writes a key file into the checkout's ./.data.
  process.env.DATA_ENCRYPTION_KEY ??= randomBytes(32).toString('base64');
  process.env.PATIENT_TOKEN_SECRET ??= `run:${randomBytes(32).toString('base64url')}`;
  const dataDir = path.resolve('.test-data', `run-${process.pid}`);
  rmSync(dataDir, { recursive: true, force: true });
  const postgres = await startEmbeddedPostgres(dataDir, 'postgres');
  project.provide('postgresAdminUrl', postgres.url);

  let redis: ChildProcess | undefined;
  let redisUrl = process.env.REDIS_URL ?? '';
  if (!redisUrl) {
    const port = await freePort();
    redis = await startRedis(port);
    if (redis) redisUrl = `redis://127.0.0.1:${port}`;
  }
  if (!redisUrl && process.env.CI === 'true') {
    await postgres.stop();
    // On a developer's machine the Redis specifications skip with the reason; CI must run them.
    throw new Error('CI=true but no Redis: install redis-server (or set REDIS_URL) so the Redis specifications run');
  }
  project.provide('redisUrl', redisUrl);

  return async () => {
    redis?.kill('SIGTERM');
    await postgres.stop();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(postgres.clusterDir, { recursive: true, force: true });
  };
}

async function startRedis(port: number): Promise<ChildProcess | undefined> {
  return new Promise((resolve) => {
    const child = spawn('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no', '--bind', '127.0.0.1'], { stdio: ['ignore', 'pipe', 'ignore'] });
    child.on('error', () => resolve(undefined));
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('Ready to accept connections')) resolve(child);
    });
    setTimeout(() => resolve(child.exitCode === null ? child : undefined), 5000).unref();
  });
}
