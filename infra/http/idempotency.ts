import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import { Conflict, ValidationFailed } from '../../domain/shared/domain-error.js';
import { WrongExpectedRevision } from '../event-store/event-store.js';
import { BadRequest, problemFor } from './problem.js';

export interface StoredAnswer {
  readonly status: number;
  readonly body: unknown;
  /** The body is a problem+json document (a refusal), not a success. */
  readonly problem?: boolean;
}

const KEY_PATTERN = /^[\x21-\x7e]{1,200}$/;
/** A claim whose request never finished (the process died) is taken over by a retry after this long. */
const STALE_CLAIM = '30 seconds';

/**
 * The id a keyed request creates its entity with, the same on every retry: a retry that follows a
 * lost answer (a timeout, a 5xx after the write) then finds its own entity instead of making another.
 */
export function idFromKey(scope: string, key: string): string {
  const hex = createHash('sha256').update(`${scope}\u0000${key}`).digest('hex');
  // Shaped as an RFC 4122 name-based UUID (version 5 bits, variant 10xx).
  const variant = ((parseInt(hex.charAt(16), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
/** A key is remembered this long; a retry after that is a new request. */
const RETENTION = '24 hours';

/**
 * `Idempotency-Key` semantics: the first request with a key runs; a retry with the same key and the
 * same body gets the first answer again (a success or a refusal, never a 5xx, which may be retried);
 * the same key with another body is refused, and so is a retry while the first is still running.
 */
export async function idempotent(
  db: Knex,
  scope: string,
  key: string | undefined,
  request: unknown,
  run: () => Promise<StoredAnswer>,
): Promise<StoredAnswer & { replayed: boolean }> {
  if (key === undefined) return { ...(await run()), replayed: false };
  if (!KEY_PATTERN.test(key)) throw new BadRequest([{ field: 'Idempotency-Key', message: 'Must be 1 to 200 visible ASCII characters' }]);
  const requestHash = createHash('sha256').update(JSON.stringify(request) ?? '').digest('hex');
  if (!(await claim(db, scope, key, requestHash))) return { ...(await replay(db, scope, key, requestHash)), replayed: true };
  let answer: StoredAnswer;
  try {
    answer = await run();
  } catch (error) {
    const problem = problemFor(error);
    // A failure, or contention that outlasted the retries, is not an answer: the retry must run again.
    if (!problem || problem.status >= 500 || error instanceof WrongExpectedRevision) {
      await db('app.idempotency_keys').where({ scope, key }).delete();
      throw error;
    }
    await db('app.idempotency_keys').where({ scope, key }).update({ status: problem.status, response: JSON.stringify({ problem: true, body: problem }) });
    throw error;
  }
  await db('app.idempotency_keys').where({ scope, key }).update({ status: answer.status, response: JSON.stringify({ problem: false, body: answer.body }) });
  return { ...answer, replayed: false };
}

/**
 * Claims the key in one statement: a new key, one past its retention (a new request), or a claim of
 * the same request whose process died before answering (stale). False: someone else holds its answer.
 */
async function claim(db: Knex, scope: string, key: string, requestHash: string): Promise<boolean> {
  const result = await db.raw<{ rows: unknown[] }>(
    `INSERT INTO app.idempotency_keys AS k (scope, key, request_hash) VALUES (?, ?, ?)
     ON CONFLICT (scope, key) DO UPDATE SET request_hash = EXCLUDED.request_hash, status = NULL, response = NULL, created_at = now()
     WHERE k.created_at < now() - interval '${RETENTION}'
        OR (k.status IS NULL AND k.request_hash = EXCLUDED.request_hash AND k.created_at < now() - interval '${STALE_CLAIM}')
     RETURNING k.key`,
    [scope, key, requestHash],
  );
  return result.rows.length > 0;
}

async function replay(db: Knex, scope: string, key: string, requestHash: string): Promise<StoredAnswer> {
  const row = (await db('app.idempotency_keys').where({ scope, key }).first()) as
    | { request_hash: string; status: number | null; response: { problem: boolean; body: unknown } | null }
    | undefined;
  if (!row) throw new Conflict('idempotency_key_in_progress', 'A request with this Idempotency-Key is being processed; retry shortly');
  if (row.request_hash !== requestHash) {
    throw new ValidationFailed([{ field: 'Idempotency-Key', message: 'This key was already used with a different request body' }], 'Idempotency-Key reused');
  }
  if (row.status === null || row.response === null) throw new Conflict('idempotency_key_in_progress', 'A request with this Idempotency-Key is being processed; retry shortly');
  return { status: row.status, body: row.response.body, problem: row.response.problem };
}
