import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { idempotent, purgeExpiredKeys, type StoredAnswer } from '../../infra/http/idempotency.js';
import { useEventStoreDatabase } from '../support/database.js';

const fingerprint = (body: string) => createHmac('sha256', 'test-fingerprint-key').update(body).digest('hex');
const BODY = { patientName: 'Ana Idempotente', requestedTime: '10:00' };

/** The Idempotency-Key mechanism itself, on real PostgreSQL, where HTTP cannot reach its edges. */
describe('Idempotent requests', () => {
  const database = useEventStoreDatabase('idempotency');
  let n = 0;
  const aKey = () => `key-${process.pid}-${++n}`;
  const answer = (body: unknown): StoredAnswer => ({ status: 201, body });

  it('releases the claim of a request that failed (a 5xx), keeping its entity id for the retry', async () => {
    const key = aKey();
    const ids: string[] = [];
    await expect(
      idempotent(database.db, 'scope', key, BODY, (id) => {
        ids.push(id);
        return Promise.reject(new Error('the database went away'));
      }, fingerprint),
    ).rejects.toThrow('the database went away');
    const retried = await idempotent(database.db, 'scope', key, BODY, (id) => {
      ids.push(id);
      return Promise.resolve(answer({ id }));
    }, fingerprint);
    expect(retried).toMatchObject({ status: 201, replayed: false });
    expect(ids[1]).toBe(ids[0]);
    expect(await idempotent(database.db, 'scope', key, BODY, () => Promise.reject(new Error('must not run')), fingerprint)).toMatchObject({ body: { id: ids[0] }, replayed: true });
  });

  it('lets a run whose claim lapsed and was taken over answer nothing for the key', async () => {
    const key = aKey();
    let finishFirst: (a: StoredAnswer) => void = () => undefined;
    const first = idempotent(database.db, 'scope', key, BODY, () => new Promise<StoredAnswer>((resolve) => (finishFirst = resolve)), fingerprint);
    await expect.poll(async () => (await database.db('app.idempotency_keys').where({ key })).length, { timeout: 20_000 }).toBe(1);
    // The first run hangs past its claim (as a process that stalled): a retry takes it over and answers.
    await database.db('app.idempotency_keys').where({ key }).update({ claimed_until: database.db.fn.now() });
    const second = await idempotent(database.db, 'scope', key, BODY, () => Promise.resolve(answer('from the retry')), fingerprint);
    expect(second.body).toBe('from the retry');
    finishFirst(answer('from the stalled run'));
    await first;
    expect((await idempotent(database.db, 'scope', key, BODY, () => Promise.reject(new Error('must not run')), fingerprint)).body).toBe('from the retry');
  });

  it('keeps a keyed fingerprint of the body, never its plain hash, and forgets keys past their 24 hours', async () => {
    const key = aKey();
    await idempotent(database.db, 'scope', key, BODY, () => Promise.resolve(answer('ok')), fingerprint);
    const row = await database.db('app.idempotency_keys').where({ key }).first<{ request_hash: string }>();
    expect(row.request_hash).toBe(fingerprint(JSON.stringify(BODY)));
    expect(row.request_hash).not.toBe(createHash('sha256').update(JSON.stringify(BODY)).digest('hex'));
    await database.db('app.idempotency_keys').where({ key }).update({ created_at: database.db.raw("now() - interval '25 hours'") });
    expect(await purgeExpiredKeys(database.db)).toBeGreaterThanOrEqual(1);
    expect(await database.db('app.idempotency_keys').where({ key })).toEqual([]);
  });
});
