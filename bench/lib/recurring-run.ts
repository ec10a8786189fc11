import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import type { GenerationSummary } from '../../commands/recurring-generation.js';
import { ExpectedRevision, type EventToAppend, type LogPosition, type RecordedEvent } from '../../infra/event-store/event-store.js';
import type { PostgresEventStore } from '../../infra/event-store/postgres-event-store.js';
import { SERVICE_NODE_FLAGS } from '../../src/runtime-flags.js';
import { exitOf, startChild } from './children.js';
import { clusterCpuMs, cpuMeter, type CpuSplit } from './cpu.js';
import { REPO } from './load.js';

/** What bench/recurring-worker.ts reports of one generation run. */
export interface WorkerRun {
  readonly summary: GenerationSummary;
  readonly runMs: number;
  readonly startupMs: number;
  /** The worker's own CPU over the run. */
  readonly cpuMs: number;
  /** The whole cluster's CPU over the run (between the worker's "ready" and "done" handshakes). */
  readonly postgresCpuMs: number;
  readonly maxRssMb: number;
}

// One pair of secrets for the scenario's processes; none of the data it generates is sealed.
const DATA_KEY = process.env.DATA_ENCRYPTION_KEY ?? randomBytes(32).toString('base64');
const TOKEN_KEYS = process.env.PATIENT_TOKEN_SECRET ?? `bench:${randomBytes(32).toString('base64url')}`;

/**
 * One daily run in its own process, with the service's Node flags (its heap cap; plus
 * BENCH_SERVICE_NODE_ARGS, e.g. to profile it): the run's CPU and memory are its own rather than the
 * bench's, its streams are folded cold from the store as after a restart, and the budget can stop
 * it like any other child.
 */
export async function runWorker(databaseUrl: string, now: Date, advanceDays: number, postmasterPid: number, timeoutMs: number): Promise<WorkerRun> {
  const nodeArgs = (process.env.BENCH_SERVICE_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = startChild(process.execPath, [...SERVICE_NODE_FLAGS, ...nodeArgs, '--import', 'tsx', path.join(REPO, 'bench', 'recurring-worker.ts'), now.toISOString()], {
    cwd: REPO,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, DATABASE_URL: databaseUrl, DATA_ENCRYPTION_KEY: DATA_KEY, PATIENT_TOKEN_SECRET: TOKEN_KEYS, RECURRING_ADVANCE_GENERATION_DAYS: String(advanceDays) },
  });
  let err = '';
  let pending = '';
  let postgresStart: number | undefined;
  let done: (Omit<WorkerRun, 'postgresCpuMs'> & { postgresCpuMs?: number }) | undefined;
  child.stderr?.on('data', (chunk: Buffer) => (err = (err + chunk.toString()).slice(-4000)));
  child.stdout?.on('data', (chunk: Buffer) => {
    pending += chunk.toString();
    for (let end = pending.indexOf('\n'); end >= 0; end = pending.indexOf('\n')) {
      const text = pending.slice(0, end);
      pending = pending.slice(end + 1);
      const line = parsed(text);
      // Read before answering: the worker waits, its connections open, until it hears back.
      if (line?.phase === 'ready') {
        postgresStart = clusterCpuMs(postmasterPid);
        child.stdin?.write('go\n');
      } else if (line?.phase === 'done') {
        done = { ...line, postgresCpuMs: clusterCpuMs(postmasterPid) - (postgresStart ?? 0) };
        child.stdin?.end('stop\n');
      }
    }
  });
  // 'close' comes after stdout is drained, 'exit' may come before its last line was read.
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const code = await exitOf(child, timeoutMs);
  await closed;
  if (code !== 0 || !done) throw new Error(`the generation process failed (exit ${code}): ${err.trim().split('\n').slice(-3).join(' | ')}`);
  return { ...done, postgresCpuMs: done.postgresCpuMs ?? 0 };
}

/** A protocol line, or undefined for anything else a child might print. */
function parsed(text: string): ({ phase: string } & Omit<WorkerRun, 'postgresCpuMs'>) | undefined {
  try {
    return JSON.parse(text) as { phase: string } & Omit<WorkerRun, 'postgresCpuMs'>;
  } catch {
    return undefined;
  }
}

/** Every event after `after`, in log order. */
export async function eventsAfter(store: PostgresEventStore, after: LogPosition): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  for (let page = await store.readAll({ after, maxCount: 1000 }); page.length > 0; page = await store.readAll({ after, maxCount: 1000 })) {
    events.push(...page);
    after = page[page.length - 1]?.position ?? after;
  }
  return events;
}

export interface Append {
  readonly stream: string;
  readonly events: readonly EventToAppend[];
}

/**
 * The run's appends as it made them: on PostgreSQL an append is one transaction, whose id is the
 * position's `commit`, so consecutive events of one stream and one commit were one append (a
 * therapist's generated sessions together, then its reminders due together).
 */
export function appendsOf(recorded: readonly RecordedEvent[]): Append[] {
  const appends: { stream: string; commit: bigint; events: EventToAppend[] }[] = [];
  for (const r of recorded) {
    const event = { eventId: r.eventId, type: r.type, schemaVersion: r.schemaVersion, data: r.data, metadata: r.metadata };
    const last = appends.at(-1);
    if (last?.stream === r.streamId && last.commit === r.position.commit) last.events.push(event);
    else appends.push({ stream: r.streamId, commit: r.position.commit, events: [event] });
  }
  return appends.map(({ stream, events }) => ({ stream, events }));
}

/**
 * The baseline: copies of the run's events (new ids) appended raw through the adapter, in the same
 * appends, to the same streams, one after the other as the run makes them (ExpectedRevision.any:
 * no read, no decision). After the run and its checks, so the copies change nothing measured.
 */
export async function rawAppends(store: PostgresEventStore, appends: readonly Append[], postmasterPid: number): Promise<{ ms: number; cpu: CpuSplit }> {
  const copies = appends.map((a) => ({ stream: a.stream, events: a.events.map((e) => ({ ...e, eventId: randomUUID() })) }));
  const stop = cpuMeter(process.pid, postmasterPid);
  const started = performance.now();
  for (const a of copies) await store.append(a.stream, a.events, ExpectedRevision.any);
  const ms = performance.now() - started;
  return { ms, cpu: stop() };
}
