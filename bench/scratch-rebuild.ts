// Throwaway development measure (not the bench): seed once into /tmp/pE-bench, then time rebuilds.
import pino from 'pino';
import pg from 'pg';
import { START, type LogPosition } from '../infra/event-store/event-store.js';
import { PostgresEventStore } from '../infra/event-store/postgres-event-store.js';
import { startEmbeddedPostgres } from '../infra/postgres/embedded-postgres.js';
import { createKnex } from '../infra/postgres/knex.js';
import { ProjectionRunner } from '../projections/projection-runner.js';
import { busyStore } from './lib/history.js';
import { loadProjections } from './lib/projections.js';
import { appendStreams, openSeedStore } from './lib/seed.js';

const size = Number(process.argv[2] ?? 300_000);
const only = process.argv[3];
const embedded = await startEmbeddedPostgres('/tmp/pE-bench', 'big');
const url = embedded.url;
const probe = new pg.Client({ connectionString: url });
await probe.connect();
const seeded = (await probe.query("SELECT to_regclass('event_store.events') IS NOT NULL AS ok")).rows[0] as { ok: boolean };
let count = seeded.ok ? Number(((await probe.query('SELECT count(*) AS n FROM event_store.events')).rows[0] as { n: string }).n) : 0;
if (count === 0) {
  const seed = await openSeedStore(url);
  count = await appendStreams(seed.store, busyStore(size, Math.round(size / 500), Date.parse('2026-12-01T00:00:00Z')));
  await seed.close();
  await probe.query('VACUUM ANALYZE event_store.events');
}
await probe.end();
const store = await PostgresEventStore.create(url);
const db = createKnex(url, 10);
const read = async () => {
  const t = Date.now();
  let after: LogPosition = START;
  for (let page = await store.readAll({ after, maxCount: 1000 }); page.length > 0; page = await store.readAll({ after, maxCount: 1000 })) after = page[page.length - 1]?.position ?? after;
  return Date.now() - t;
};
await read();
const readMs = await read();
const rate = count / (readMs / 1000);
console.log(`events ${count}, raw read ${Math.round(rate)} ev/s`);
const { projections, decode } = await loadProjections();
const runner = new ProjectionRunner({ store, db, projections, decode, logger: pino({ level: 'silent' }) });
for (const p of projections) {
  if (only && p.name !== only) continue;
  const t = Date.now();
  await runner.rebuild(p.name);
  const ms = Date.now() - t;
  console.log(`${p.name}: ${Math.round(count / (ms / 1000))} ev/s ratio ${(count / (ms / 1000) / rate).toFixed(3)} (${ms} ms)`);
}
await store.close();
await db.destroy();
