import { existsSync } from 'node:fs';
import { describe, it } from 'vitest';

/** Debian's Chromium (`apt-get install chromium`; .ci/run installs it): playwright-core downloads no browser. */
export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu'];

/**
 * A describe() that needs a browser. Without Chromium it is skipped with the reason on a developer's
 * machine, and fails under CI=true (as with Redis: CI installs it, so a missing one is a broken CI).
 */
export function describeInChromium(title: string, needs: string, body: () => void): void {
  if (existsSync(CHROMIUM)) {
    describe(title, body);
  } else if (process.env.CI === 'true') {
    describe(title, () => {
      it('needs Chromium under CI=true', () => {
        throw new Error(`CI=true but no ${CHROMIUM}: .ci/run installs Debian's chromium so this specification runs`);
      });
    });
  } else {
    const skipped = `${title} — skipped: no ${CHROMIUM} (apt-get install -y chromium)`;
    console.warn(skipped);
    describe.skip(skipped, () => {
      it.skip(`${needs}: install Debian's chromium at ${CHROMIUM}`, () => undefined);
    });
  }
}
