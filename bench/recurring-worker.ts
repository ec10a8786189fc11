/**
 * Scenario 5's generation process: the service's write side (`createServices(…, { background: false })`,
 * no projections, no scheduler: what `npm run cli -- recurring generate` wires) running one daily
 * generation as of the instant given on argv. Run by bench/scenarios/recurring.ts with the service's
 * Node flags. A handshake on stdio brackets the run, so that the bench counts PostgreSQL's CPU over
 * the run alone, with every connection of the process still open at both readings (a backend that
 * exits between them would take its CPU out of the sum): JSON lines on stdout, `{"phase":"ready"}`
 * once started, answered `go` on stdin; `{"phase":"done",…}` with the figures, answered `stop`.
 */
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { pino } from 'pino';
import { runRecurringGeneration } from '../commands/recurring-generation.js';
import { createLogger } from '../infra/logging/logger.js';
import { loadConfig } from '../src/config.js';
import { createServices } from '../src/services.js';

const say = (line: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(line)}\n`);
const input = createInterface({ input: process.stdin });
let expectingAnswer = false;
// The bench gone (its stdin closed) while this waits for it: nothing left to report to.
input.on('close', () => {
  if (expectingAnswer) process.exit(1);
});

/** Says `line`, then waits for the bench's one-word answer. */
async function handshake(line: Record<string, unknown>, answer: string): Promise<void> {
  expectingAnswer = true;
  const heard = once(input, 'line') as Promise<[string]>;
  say(line);
  const [word] = await heard;
  expectingAnswer = false;
  if (word.trim() !== answer) throw new Error(`expected "${answer}" on stdin, got "${word}"`);
}

async function main(): Promise<void> {
  const now = new Date(process.argv[2] ?? '');
  if (Number.isNaN(now.getTime())) throw new Error('usage: recurring-worker.ts <ISO instant>');
  // Secrets come in full, so nothing is generated; DATA_DIR points away from the checkout's ./.data anyway.
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'psicopay-bench-recurring-'));
  const config = loadConfig({
    DATABASE_URL: process.env.DATABASE_URL,
    DATA_ENCRYPTION_KEY: process.env.DATA_ENCRYPTION_KEY,
    PATIENT_TOKEN_SECRET: process.env.PATIENT_TOKEN_SECRET,
    SCHEDULER_ENABLED: 'false',
    PROJECTIONS_ENABLED: 'false',
    SEED_DEMO_THERAPIST: 'false',
    LOG_LEVEL: 'warn',
    RECURRING_ADVANCE_GENERATION_DAYS: process.env.RECURRING_ADVANCE_GENERATION_DAYS,
    DATA_DIR: dataDir,
  });
  // Logs to stderr: stdout carries the protocol lines only.
  const services = await createServices(config, { background: false, logger: createLogger(config.logLevel, {}, pino.destination(2)) });
  try {
    // Since the process started (performance.now() counts from it): module loading included.
    const startupMs = performance.now();
    await handshake({ phase: 'ready' }, 'go');
    const cpu = process.cpuUsage();
    const begin = performance.now();
    const summary = await runRecurringGeneration(services, { trigger: 'bench', now });
    const runMs = performance.now() - begin;
    const used = process.cpuUsage(cpu);
    await handshake({ phase: 'done', summary, runMs, startupMs, cpuMs: (used.user + used.system) / 1000, maxRssMb: process.resourceUsage().maxRSS / 1024 }, 'stop');
  } finally {
    await services.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
