/**
 * A separate process that projects the log into public.tally, slowly, so a test can SIGKILL it
 * mid-projection. Prints `handled <n>` after each batch and `caught-up` at the head.
 */
import pino from 'pino';
import type { EncodedEvent } from '../../domain/shared/event-codec.js';
import { PostgresEventStore } from '../../infra/event-store/postgres-event-store.js';
import { createKnex } from '../../infra/postgres/knex.js';
import type { Projection } from '../../projections/projection.js';
import { newestCommittedPosition } from './log-position.js';
import { ProjectionRunner } from '../../projections/projection-runner.js';

const url = process.argv[2] ?? '';
const db = createKnex(url, 3);
const store = await PostgresEventStore.create(url);
let handled = 0;
const tally: Projection = {
  name: 'tally',
  handles: ['Ticked'],
  tables: ['public.tally'],
  async apply(trx, events) {
    for (const { streamId } of events) {
      await trx.raw('INSERT INTO public.tally (stream_id, ticks) VALUES (?, 1) ON CONFLICT (stream_id) DO UPDATE SET ticks = tally.ticks + 1', [streamId]);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
    handled += events.length;
  },
};
const runner = new ProjectionRunner({ store, db, projections: [tally], decode: (r: EncodedEvent) => ({ type: r.type, data: r.data }), logger: pino({ level: 'silent' }), batchSize: 20 });
await runner.start();
// Our own newest commit, not the store's head, which other databases' transactions can hold back.
const head = await newestCommittedPosition(db);
const timer = setInterval(() => process.stdout.write(`handled ${handled}\n`), 20);
await runner.waitFor(head, { timeoutMs: 120_000 });
clearInterval(timer);
process.stdout.write('caught-up\n');
await runner.stop();
await store.close();
await db.destroy();
