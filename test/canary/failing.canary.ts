import { expect, it } from 'vitest';

// Run only by .ci/run (PSICOPAY_TEST_CANARY=failing): the test command must exit non-zero on it.
it('is deliberately wrong', () => {
  expect(1).toBe(2);
});
