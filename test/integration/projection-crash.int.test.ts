import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExpectedRevision } from '../../infra/event-store/event-store.js';
import { PostgresEventStore } from '../../infra/event-store/postgres-event-store.js';
import { createKnex, migrateToLatest, type Knex } from '../../infra/postgres/knex.js';
import { createTestDatabase } from '../support/database.js';

/** Runs the projector child until `until` matches a line of its output, then kills it (or lets it end). */
function runProjector(url: string, until: (line: string) => boolean, kill: boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/projector-child.ts', url], { stdio: ['ignore', 'pipe', 'inherit'] });
    let done = false;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      if (done) return;
      if (chunk.split('\n').some(until)) {
        done = true;
        if (kill) child.kill('SIGKILL');
      }
    });
    child.on('exit', () => (done ? resolve() : reject(new Error('projector ended before the expected output'))));
    child.on('error', reject);
  });
}

describe('Killing the projector mid-projection', () => {
  let url: string;
  let drop: () => Promise<void>;
  let db: Knex;

  beforeAll(async () => {
    ({ url, drop } = await createTestDatabase('crash'));
    db = createKnex(url, 3);
    await migrateToLatest(db);
    await db.raw('CREATE TABLE public.tally (stream_id text primary key, ticks int not null)');
    const store = await PostgresEventStore.create(url);
    for (let s = 0; s < 20; s++) {
      const events = Array.from({ length: 100 }, () => ({ eventId: randomUUID(), type: 'Ticked', schemaVersion: 1, data: {}, metadata: { correlationId: randomUUID(), causationId: null, actor: { kind: 'system' as const, job: 'test' } } }));
      await store.append(`tick-${s}`, events, ExpectedRevision.noStream);
    }
    await store.close();
  });
  afterAll(async () => {
    await db.destroy();
    await drop();
  });

  it('loses nothing and duplicates nothing in the read model after a restart', async () => {
    await runProjector(url, (line) => /^handled (\d+)/.test(line) && Number(/\d+/.exec(line)?.[0]) >= 400, true);
    const partial = Number((await db('public.tally').sum({ total: 'ticks' }).first())?.total ?? 0);
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(2000);

    await runProjector(url, (line) => line === 'caught-up', false);
    const rows = await db('public.tally').select('stream_id', 'ticks');
    expect(rows).toHaveLength(20);
    expect(rows.every((r: { ticks: number }) => r.ticks === 100)).toBe(true);
  });
});
