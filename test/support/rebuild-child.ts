/**
 * A separate process that rebuilds one projection blue/green with small batches and freezes once it
 * has replayed `stopAfter` events (printing `halfway <events handled>`), so a specification can
 * SIGKILL it in the middle of a rebuild. Prints `switched` if it ever gets to the end.
 * Arguments: database url, projection name, stopAfter.
 */
import { writeSync } from 'node:fs';
import { loadConfig } from '../../src/config.js';
import { createServices } from '../../src/services.js';

const [url = '', name = '', stopAfter = '0'] = process.argv.slice(2);
const config = loadConfig({
  DATABASE_URL: url,
  DATA_ENCRYPTION_KEY: process.env.DATA_ENCRYPTION_KEY ?? '',
  PATIENT_TOKEN_SECRET: process.env.PATIENT_TOKEN_SECRET ?? '',
  LOG_LEVEL: 'silent',
  SEED_DEMO_THERAPIST: 'false',
});
const services = await createServices(config, { background: false });
await services.projections.rebuild(name, {
  batchSize: 5,
  onProgress: (progress) => {
    if (progress.phase !== 'replaying' || progress.eventsRead < Number(stopAfter)) return;
    writeSync(1, `halfway ${progress.eventsRead}\n`);
    // Frozen between two committed batches, holding its lock, until the specification kills it.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
  },
});
writeSync(1, 'switched\n');
await services.close();
