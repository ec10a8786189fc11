/**
 * `npm run bench [-- --quick] [-- --only=1,4]`: every scenario of docs/benchmarks.md against its own
 * embedded PostgreSQL cluster, the service in a child process, load from another child process.
 * Prints a table and writes bench/results/latest.json. Exits 1 only when a scenario failed to run.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stopAllChildren } from './lib/children.js';
import { startCluster, type BenchCluster } from './lib/cluster.js';
import type { BenchContext } from './lib/context.js';
import { REPO } from './lib/load.js';
import { failed, machine, table, type BenchReport, type ScenarioResult } from './lib/report.js';
import { availabilityScenario } from './scenarios/availability.js';
import { bookingScenario } from './scenarios/booking.js';
import { historyScenario } from './scenarios/history.js';
import { raceScenario } from './scenarios/race.js';
import { rebuildScenario } from './scenarios/rebuild.js';
import { recurringScenario } from './scenarios/recurring.js';

interface Scenario {
  readonly id: number;
  readonly name: string;
  readonly run: (ctx: BenchContext) => Promise<ScenarioResult[]>;
  /** Longest the scenario may take, full size and --quick; the run as a whole is bounded too (below). */
  readonly budgetSec: { readonly full: number; readonly quick: number };
}

/** The bounds: the full run under 30 minutes, --quick under 3, cluster start included. */
const RUN_BUDGET_SEC = { full: 28 * 60, quick: 170 };

// In this order: 6 reuses the data sets of 1 and 4; 7 is measured during 1.
const scenarios: readonly Scenario[] = [
  { id: 1, name: '1. availability', run: availabilityScenario, budgetSec: { full: 240, quick: 60 } },
  { id: 2, name: '2. booking throughput', run: bookingScenario, budgetSec: { full: 180, quick: 40 } },
  { id: 3, name: '3. race for one slot', run: raceScenario, budgetSec: { full: 120, quick: 30 } },
  { id: 4, name: '4. projection rebuild', run: rebuildScenario, budgetSec: { full: 720, quick: 60 } },
  { id: 5, name: '5. recurring generation', run: recurringScenario, budgetSec: { full: 300, quick: 30 } },
  { id: 6, name: '6. history independence', run: historyScenario, budgetSec: { full: 360, quick: 45 } },
];

const quick = process.argv.includes('--quick');
const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',').map(Number);
const log = (message: string) => process.stderr.write(`${message}\n`);

let cluster: BenchCluster | undefined;
let cleaning: Promise<void> | undefined;
const cleanup = () => (cleaning ??= (async () => {
  await stopAllChildren();
  await cluster?.stop();
})());

async function withBudget<T>(work: Promise<T>, seconds: number): Promise<T> {
  // Past the budget the scenario is abandoned; its late failure must not become an unhandled rejection.
  work.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`did not finish within its ${seconds} s budget`)), seconds * 1000);
  });
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}

async function main(): Promise<number> {
  const started = Date.now();
  log(`PsicoPay bench ${quick ? '--quick' : 'full'}: starting an embedded PostgreSQL cluster`);
  cluster = await startCluster();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`\n${signal}: stopping children and removing the bench cluster`);
      void cleanup().finally(() => process.exit(130));
    });
  }
  const ctx: BenchContext = { cluster, quick, scale: quick ? 0.1 : 1, databases: new Map(), log };
  const results: ScenarioResult[] = [];
  for (const scenario of scenarios) {
    if (only && !only.includes(scenario.id)) continue;
    const left = (quick ? RUN_BUDGET_SEC.quick : RUN_BUDGET_SEC.full) - (Date.now() - started) / 1000;
    const budget = Math.floor(Math.min(quick ? scenario.budgetSec.quick : scenario.budgetSec.full, left));
    if (budget < 5) {
      results.push(failed(scenario.name, 'no time left in the run budget'));
      continue;
    }
    const begin = Date.now();
    log(`${scenario.name} …`);
    try {
      results.push(...(await withBudget(scenario.run(ctx), budget)));
    } catch (error) {
      results.push(failed(scenario.name, error));
      await stopAllChildren();
    }
    log(`${scenario.name}: ${Math.round((Date.now() - begin) / 100) / 10} s`);
  }
  const report: BenchReport = {
    date: new Date().toISOString(),
    quick,
    durationSec: Math.round((Date.now() - started) / 1000),
    machine: machine(cluster.version),
    scenarios: results,
  };
  const dir = path.join(REPO, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`\n${table(report)}\n\nwritten: bench/results/latest.json\n`);
  return results.some((r) => r.status === 'failed') ? 1 : 0;
}

main()
  .then(async (code) => {
    await cleanup();
    process.exit(code);
  })
  .catch(async (error: unknown) => {
    log(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    await cleanup();
    process.exit(1);
  });
