import { randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { freePort } from '../../infra/postgres/embedded-postgres.js';
import { startChild, stopChild } from './children.js';
import { REPO } from './load.js';
import { SERVICE_NODE_FLAGS } from '../../src/runtime-flags.js';

export interface MemorySample {
  /** Resident set now, MB. */
  readonly rssMb: number;
  /** Peak resident set over the process's life (VmHWM), MB. */
  readonly peakMb: number;
}

export interface BenchService {
  readonly baseUrl: string;
  readonly pid: number;
  memory(): MemorySample;
  /** The end of what the service wrote to stderr (its warnings and errors). */
  stderrTail(): string;
  /** Samples VmRSS every 100 ms until the returned function is called; it returns the highest sample, MB. */
  sampleRss(): () => number;
  /** Waits until every projection runs with no lag (or fails after `timeoutMs`). */
  caughtUp(timeoutMs: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The real service (`src/main.ts`, as `npm start` runs it) in its own process, so its memory is its
 * own and the load generator does not share its event loop. BENCH_SERVICE_NODE_ARGS adds Node flags
 * to it, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to see where its time goes.
 */
const BENCH_DATA_KEY = process.env.DATA_ENCRYPTION_KEY ?? randomBytes(32).toString('base64');
const BENCH_PATIENT_TOKEN_KEYS = process.env.PATIENT_TOKEN_SECRET ?? `bench:${randomBytes(32).toString('base64url')}`;

export async function startService(databaseUrl: string, env: Readonly<Record<string, string>> = {}): Promise<BenchService> {
  const port = await freePort();
  const nodeArgs = (process.env.BENCH_SERVICE_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = startChild(process.execPath, [...SERVICE_NODE_FLAGS, ...nodeArgs, '--import', 'tsx', path.join(REPO, 'src', 'main.ts')], {
    cwd: REPO,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      HOST: '127.0.0.1',
      SEED_DEMO_THERAPIST: 'false',
      SCHEDULER_ENABLED: 'false',
      LOG_LEVEL: 'warn',
      BENCH_ENDPOINTS: 'true',
      // One master key for every service of the run (they share databases), kept out of the checkout's ./.data.
      DATA_ENCRYPTION_KEY: BENCH_DATA_KEY,
      PATIENT_TOKEN_SECRET: BENCH_PATIENT_TOKEN_KEYS,
      // Load comes from one address: the spec's per-IP limits would cut it short. The highest limits
      // the config takes (never reached here) rather than 0 (off), so the limiter's cost is measured.
      RATE_LIMIT_PUBLIC_BOOKINGS_PER_HOUR: '1000000',
      RATE_LIMIT_PUBLIC_AVAILABILITY_PER_HOUR: '1000000',
      RATE_LIMIT_THERAPIST_PER_HOUR: '1000000',
      ...env,
    },
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  const service: BenchService = {
    baseUrl,
    pid: child.pid ?? 0,
    memory: () => memoryOf(child.pid ?? 0),
    stderrTail: () => stderr,
    sampleRss: () => {
      let peak = memoryOf(child.pid ?? 0).rssMb;
      const timer = setInterval(() => {
        peak = Math.max(peak, memoryOf(child.pid ?? 0).rssMb);
      }, 100);
      return () => {
        clearInterval(timer);
        return Math.max(peak, memoryOf(child.pid ?? 0).rssMb);
      };
    },
    caughtUp: (timeoutMs) => waitCaughtUp(child, baseUrl, timeoutMs, () => stderr),
    stop: () => stopChild(child),
  };
  try {
    await waitHealthy(child, baseUrl, 60_000, () => stderr);
  } catch (error) {
    await service.stop();
    throw error;
  }
  return service;
}

function memoryOf(pid: number): MemorySample {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
  } catch {
    return { rssMb: 0, peakMb: 0 };
  }
}

function exitedError(child: ChildProcess, stderr: string): Error | undefined {
  if (child.exitCode === null && child.signalCode === null) return undefined;
  return new Error(`the service exited (${child.exitCode ?? child.signalCode}): ${stderr.trim().split('\n').slice(-5).join(' | ')}`);
}

async function waitHealthy(child: ChildProcess, baseUrl: string, timeoutMs: number, stderr: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const exited = exitedError(child, stderr());
    if (exited) throw exited;
    const ok = await fetch(`${baseUrl}/health`).then((r) => r.ok, () => false);
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`the service did not answer /health within ${timeoutMs / 1000} s`);
    await sleep(100);
  }
}

interface ReadyBody {
  readonly checks?: { readonly projections?: readonly { name: string; status: string; lag: number; error: string | null }[] };
}

async function waitCaughtUp(child: ChildProcess, baseUrl: string, timeoutMs: number, stderr: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    const exited = exitedError(child, stderr());
    if (exited) throw exited;
    const empty: ReadyBody = {};
    const body = await fetch(`${baseUrl}/ready`).then((r) => r.json() as Promise<ReadyBody>, () => empty);
    const projections = body.checks?.projections ?? [];
    const failed = projections.find((p) => p.status === 'failed');
    if (failed) throw new Error(`projection ${failed.name} failed: ${failed.error ?? ''}`);
    if (projections.length > 0 && projections.every((p) => p.status === 'running' && p.lag === 0)) return;
    last = projections.map((p) => `${p.name} ${p.status} lag ${p.lag}`).join(', ');
    if (Date.now() > deadline) throw new Error(`projections did not catch up within ${timeoutMs / 1000} s (${last})`);
    await sleep(200);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
