import { defineConfig } from 'vitest/config';

// .ci/run sets this to one canary's name to prove that the test command fails when it should.
const canary = process.env.PSICOPAY_TEST_CANARY;

export default defineConfig({
  test: {
    include: canary ? [`test/canary/${canary}.canary.ts`] : ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    // The machine has 2 cores; more workers only add contention on the shared PostgreSQL.
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default', './test/support/verdict-reporter.ts'],
  },
});
