import { it } from 'vitest';

// Run only by .ci/run (PSICOPAY_TEST_CANARY=timeout): a test that never ends must fail the run.
it('never finishes', { timeout: 200 }, () => new Promise<void>(() => undefined));
