/**
 * Scenario 5's generation process: the service's write side (`createServices(…, { background: false })`,
 * no projections, no scheduler: what `npm run cli -- recurring generate` wires) running one daily
 * generation as of the instant given on argv. Run by bench/scenarios/recurring.ts with the service's
 * Node flags; writes JSON lines on stdout: `{"phase":"running"}` just before the run (so the bench
 * starts counting PostgreSQL's CPU there, not at start-up), then `{"phase":"done",…}` with the figures.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { runRecurringGeneration } from '../commands/recurring-generation.js';
import { createLogger } from '../infra/logging/logger.js';
import { loadConfig } from '../src/config.js';
import { createServices } from '../src/services.js';

const say = (line: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(line)}\n`);

async function main(): Promise<void> {
  const now = new Date(process.argv[2] ?? '');
  if (Number.isNaN(now.getTime())) throw new Error('usage: recurring-worker.ts <ISO instant>');
  const started = performance.now();
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
    const startupMs = performance.now() - started;
    say({ phase: 'running' });
    const cpu = process.cpuUsage();
    const begin = performance.now();
    const summary = await runRecurringGeneration(services, { trigger: 'bench', now });
    const runMs = performance.now() - begin;
    const used = process.cpuUsage(cpu);
    say({ phase: 'done', summary, runMs, startupMs, cpuMs: (used.user + used.system) / 1000, maxRssMb: process.resourceUsage().maxRSS / 1024 });
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
