import { it } from 'vitest';

// Run only by .ci/run (PSICOPAY_TEST_CANARY=crash): an error thrown outside the test's own code fails the run.
it('passes, while something it started throws', async () => {
  process.nextTick(() => {
    throw new Error('deliberate uncaught error');
  });
  await new Promise((resolve) => setImmediate(resolve));
});
