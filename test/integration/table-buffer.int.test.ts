import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createKnex } from '../../infra/postgres/knex.js';
import { LIVE_TABLES, type TableTarget } from '../../projections/projection.js';
import { TableBuffer, TableShapes } from '../../projections/table-buffer.js';
import { createTestDatabase } from '../support/database.js';

/** A rebuild's target: the same table names, written as fresh tables (inserts bulk-loaded with COPY). */
const FRESH: TableTarget = Object.assign((table: string) => table, { fresh: true });

const COLUMNS = `id uuid PRIMARY KEY, label text NOT NULL, note text, amount numeric(12, 2), count integer, flag boolean,
  at timestamptz, day date, time_of_day time, days smallint[], tags text[], extra jsonb`;

/** Values COPY's text format must escape or spell out, next to plain ones. */
const AWKWARD = ['tab\there', 'new\nline', 'carriage\rreturn', 'back\\slash', '\\N', 'quote "double" and \'single\'', 'ñandú — 🦩', '', ' padded ', 'comma, {brace}'];

function rowFor(id: string, i: number): Record<string, unknown> {
  const text = AWKWARD[i % AWKWARD.length] ?? '';
  return {
    id,
    label: text,
    note: i % 3 === 0 ? null : `${text}#${i}`,
    amount: i * 10.25,
    count: i,
    flag: i % 2 === 0,
    at: `2027-03-0${(i % 9) + 1}T12:3${i % 10}:00.000Z`,
    day: `2027-04-${String((i % 28) + 1).padStart(2, '0')}`,
    time_of_day: '18:30',
    days: i % 4 === 0 ? null : [1, i % 7],
    tags: [text, 'plain', null, 'a"b\\c'],
    extra: i % 5 === 0 ? null : { text, nested: { i, list: [text, null] } },
  };
}

/**
 * The keyed buffer a projection writes through: in place (jsonb_to_recordset statements, insert or
 * ignore) and into a rebuild's fresh table (inserts COPY-loaded). Both must leave the same rows, for
 * any value, and a duplicate key in a fresh table must not fail the batch.
 */
describe('Table buffer', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
  let db: Knex;
  const shapes = new TableShapes();
  beforeAll(async () => {
    database = await createTestDatabase('table_buffer');
    db = createKnex(database.url, 3);
  });
  afterAll(async () => {
    await db.destroy();
    await database?.drop();
  });
  beforeEach(async () => {
    await db.raw('DROP TABLE IF EXISTS public.in_place, public.fresh');
    await db.raw(`CREATE TABLE public.in_place (${COLUMNS})`);
    await db.raw(`CREATE TABLE public.fresh (${COLUMNS})`);
  });

  /** The statements knex sent meanwhile (COPY goes by the connection itself, not through knex). */
  async function sentDuring(work: () => Promise<void>): Promise<string[]> {
    const sent: string[] = [];
    const listen = (query: { sql: string }) => sent.push(query.sql);
    db.on('query', listen);
    try {
      await work();
    } finally {
      db.off('query', listen);
    }
    return sent;
  }
  const keyedInsertsInto = (sent: readonly string[], table: string) => sent.filter((sql) => sql.startsWith(`INSERT INTO ${table} `)).length;

  const rows = (table: string) => db.raw<{ rows: unknown[] }>(`SELECT to_jsonb(t) AS r FROM public.${table} t ORDER BY id`).then((r) => r.rows);

  /** The same operations in two batches through a buffer on each target. */
  async function applyBoth(operations: (buffer: TableBuffer) => void, table = 'public.in_place'): Promise<void> {
    for (const [target, name] of [[LIVE_TABLES, table], [FRESH, 'public.fresh']] as const) {
      await db.transaction(async (trx) => {
        const buffer = new TableBuffer(trx, target, name, ['id'], shapes);
        operations(buffer);
        await buffer.flush();
      });
    }
  }

  it('loads a fresh table with COPY into the same rows as the keyed inserts in place, whatever the values', async () => {
    const ids = Array.from({ length: 60 }, () => randomUUID());
    const sent = await sentDuring(() => applyBoth((buffer) => ids.forEach((id, i) => buffer.insert(rowFor(id, i)))));
    const [inPlace, fresh] = [await rows('in_place'), await rows('fresh')];
    expect(inPlace).toHaveLength(60);
    expect(fresh).toEqual(inPlace);
    expect({ inPlace: keyedInsertsInto(sent, 'public.in_place'), fresh: keyedInsertsInto(sent, 'public.fresh') }).toEqual({ inPlace: 1, fresh: 0 });
  });

  it('folds later updates into a bulk-loaded row and still deletes and updates rows of earlier batches, as in place', async () => {
    const ids = Array.from({ length: 12 }, () => randomUUID());
    await applyBoth((buffer) => ids.forEach((id, i) => buffer.insert(rowFor(id, i))));
    const [first, second, third] = ids;
    const added = randomUUID();
    if (!first || !second || !third) throw new Error('ids');
    await applyBoth((buffer) => {
      buffer.update({ id: first }, { note: 'updated\tlater', flag: true });
      buffer.delete({ id: second });
      buffer.delete({ id: third });
      buffer.insert({ ...rowFor(third, 99), label: 'replaced' });
      buffer.insert(rowFor(added, 7));
      buffer.update({ id: added }, { amount: 1, tags: ['after', 'insert'] });
    });
    expect(await rows('fresh')).toEqual(await rows('in_place'));
  });

  it('meets a key already in a fresh table (an event recorded twice) the way in place does: the first row stands, updated columns are set', async () => {
    const [kept, updated, added] = [randomUUID(), randomUUID(), randomUUID()];
    await applyBoth((buffer) => {
      buffer.insert(rowFor(kept, 1));
      buffer.insert(rowFor(updated, 2));
    });
    const sent = await sentDuring(() => applyBoth((buffer) => {
      buffer.insert({ ...rowFor(kept, 3), label: 'second' });
      buffer.insert({ ...rowFor(updated, 4), label: 'second' });
      buffer.update({ id: updated }, { note: 'set by the update' });
      buffer.insert(rowFor(added, 5));
    }));
    const fresh = await rows('fresh');
    expect(fresh).toEqual(await rows('in_place'));
    expect(fresh).toHaveLength(3);
    // The copy was tried, rolled back to its savepoint, and the rows sent the keyed way.
    expect(sent.filter((sql) => /^(SAVEPOINT|ROLLBACK TO SAVEPOINT) table_buffer_copy$/.test(sql))).toEqual(['SAVEPOINT table_buffer_copy', 'ROLLBACK TO SAVEPOINT table_buffer_copy']);
    expect(keyedInsertsInto(sent, 'public.fresh')).toBeGreaterThan(0);
  });

  it('loads on the transaction\'s own connection: rows copied in a transaction that rolls back are gone', async () => {
    const load = db.transaction(async (trx) => {
      const buffer = new TableBuffer(trx, FRESH, 'public.fresh', ['id'], shapes);
      buffer.insert(rowFor(randomUUID(), 1));
      await buffer.flush();
      expect(await trx('public.fresh').count<{ count: string }[]>('* as count')).toEqual([{ count: '1' }]);
      throw new Error('the batch fails after its flush');
    });
    await expect(load).rejects.toThrow('the batch fails after its flush');
    expect(await rows('fresh')).toEqual([]);
  });

  it('fails the batch, writing nothing, when a bulk-loaded row breaks a rule other than a duplicate key', async () => {
    const load = db.transaction(async (trx) => {
      const buffer = new TableBuffer(trx, FRESH, 'public.fresh', ['id'], shapes);
      buffer.insert(rowFor(randomUUID(), 1));
      buffer.insert({ ...rowFor(randomUUID(), 2), label: null });
      await buffer.flush();
    });
    await expect(load).rejects.toMatchObject({ code: '23502' });
    expect(await rows('fresh')).toEqual([]);
  });
});
