import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../infra/logging/logger.js';
import { describeError } from '../../infra/logging/safe-error.js';
import { createKnex, type Knex } from '../../infra/postgres/knex.js';
import { createTestDatabase } from '../support/database.js';

const SECRET = 'Juana Secreta';

async function failure(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error('the query was expected to fail');
}

/** Real PostgreSQL errors, raised by values a patient typed: what ops get to read of them. */
describe('Database errors as ops see them', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let db: Knex;
  beforeAll(async () => {
    database = await createTestDatabase('safe_errors');
    db = createKnex(database.url, 2);
    await db.raw('CREATE TABLE people (id uuid PRIMARY KEY, name text NOT NULL UNIQUE)');
    await db('people').insert({ id: '00000000-0000-4000-8000-000000000001', name: SECRET });
  });
  afterAll(async () => {
    await db.destroy();
    await database.drop();
  });

  it('a failed query-builder statement carries its SQL, never its bindings', async () => {
    const error = await failure(() => db('people').insert({ id: '00000000-0000-4000-8000-000000000002', name: SECRET }));
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain('insert into "people"');
    expect((error as Error).message).not.toContain(SECRET);
    // PostgreSQL's own detail does name the value: it is what safeError drops.
    expect((error as { detail?: string }).detail).toContain(SECRET);
    expect(describeError(error)).toMatch(/\(23505\) on public\.people people_name_key/);
    expect(describeError(error)).not.toContain(SECRET);
  });

  it('a value PostgreSQL quotes in its message is masked', async () => {
    const error = await failure(() => db.raw('SELECT ?::uuid', [SECRET]));
    expect((error as Error).message).toContain(SECRET);
    expect(describeError(error)).toContain('(22P02)');
    expect(describeError(error)).not.toContain(SECRET);
  });

  it('a logged database error keeps what and where, without the values', async () => {
    const lines: string[] = [];
    const logger = createLogger('info', {}, new Writable({ write: (chunk: Buffer, _e, done) => { lines.push(chunk.toString()); done(); } }));
    const duplicate = await failure(() => db('people').insert({ id: '00000000-0000-4000-8000-000000000003', name: SECRET }));
    const badUuid = await failure(() => db.raw('SELECT ?::uuid', [SECRET]));
    logger.error({ err: duplicate, patient: { name: SECRET }, body: { patientName: SECRET } }, 'first');
    logger.warn({ err: badUuid, job: { booking: { email: SECRET, phone: SECRET } } }, 'second');
    const logged = lines.map((line) => JSON.parse(line) as { err: { code: string; constraint?: string } });
    expect(logged.map((l) => l.err.code)).toEqual(['23505', '22P02']);
    expect(logged[0]?.err.constraint).toBe('people_name_key');
    expect(lines.join('')).not.toContain(SECRET);
  });
});
