import { randomUUID } from 'node:crypto';
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

export const KEY_PATTERN = /^[\x21-\x7e]{1,200}$/;
/** A claim whose request never finished (the process died) is taken over by a retry after this long. */
const STALE_CLAIM = '30 seconds';
/** A key is remembered this long; a retry after that is a new request. */
const RETENTION = '24 hours';

/**
 * `Idempotency-Key` semantics: the first request with a key runs; a retry with the same key and the
 * same body gets the first answer again (a success or a refusal, never a 5xx, which may be retried);
 * the same key with another body is refused, and so is a retry while the first is still running.
 *
 * The entity a keyed request creates gets a random id, stored with the key's claim, so a retry that
 * follows a lost answer (a timeout, a 5xx after the write, a process that died) finds its own entity
 * instead of making another, while the same key used again later, or in another `scope` (each
 * therapist's public bookings are one), can never reach it. `run` receives that id.
 */
export async function idempotent(
  db: Knex,
  scope: string,
  key: string | undefined,
  request: unknown,
  run: (entityId: string) => Promise<StoredAnswer>,
  /** A keyed hash: the body holds personal data, and its plain hash would confirm a guess. */
  fingerprint: (body: string) => string,
): Promise<StoredAnswer & { replayed: boolean }> {
  if (key === undefined) return { ...(await run(randomUUID())), replayed: false };
  if (!KEY_PATTERN.test(key)) throw new BadRequest([{ field: 'Idempotency-Key', message: 'Must be 1 to 200 visible ASCII characters' }]);
  const requestHash = fingerprint(JSON.stringify(request) ?? '');
  const claimId = randomUUID();
  const entityId = await claim(db, scope, key, requestHash, claimId);
  if (entityId === undefined) return { ...(await replay(db, scope, key, requestHash)), replayed: true };
  // Fenced by the claim: a run whose claim lapsed and was taken over can no longer answer for the key.
  const row = db('app.idempotency_keys').where({ scope, key, claim_id: claimId });
  let answer: StoredAnswer;
  try {
    answer = await run(entityId);
  } catch (error) {
    const problem = problemFor(error);
    // A failure, or contention that outlasted the retries, is not an answer: the claim is released
    // (its entity id kept) so that a retry runs again, on the same entity.
    if (!problem || problem.status >= 500 || error instanceof WrongExpectedRevision) {
      await row.clone().update({ claimed_until: db.fn.now() });
      throw error;
    }
    await row.clone().update({ status: problem.status, response: JSON.stringify({ problem: true, body: problem }) });
    throw error;
  }
  await row.clone().update({ status: answer.status, response: JSON.stringify({ problem: false, body: answer.body }) });
  return { ...answer, replayed: false };
}

/**
 * Claims the key in one statement and answers the entity id to create with, or undefined when
 * someone else holds the key's answer. It is claimed when new, past its retention (a new request:
 * a new id), or left unanswered by the same request (a released or stale claim: the same id).
 */
async function claim(db: Knex, scope: string, key: string, requestHash: string, claimId: string): Promise<string | undefined> {
  const result = await db.raw<{ rows: { entity_id: string }[] }>(
    `INSERT INTO app.idempotency_keys AS k (scope, key, request_hash, entity_id, claim_id, claimed_until) VALUES (?, ?, ?, ?, ?, now() + interval '${STALE_CLAIM}')
     ON CONFLICT (scope, key) DO UPDATE SET
       entity_id = CASE WHEN k.created_at < now() - interval '${RETENTION}' THEN EXCLUDED.entity_id ELSE COALESCE(k.entity_id, EXCLUDED.entity_id) END,
       request_hash = EXCLUDED.request_hash, status = NULL, response = NULL, claim_id = EXCLUDED.claim_id, claimed_until = EXCLUDED.claimed_until,
       created_at = CASE WHEN k.created_at < now() - interval '${RETENTION}' THEN now() ELSE k.created_at END
     WHERE k.created_at < now() - interval '${RETENTION}'
        OR (k.status IS NULL AND k.request_hash = EXCLUDED.request_hash AND COALESCE(k.claimed_until, k.created_at + interval '${STALE_CLAIM}') <= now())
     RETURNING k.entity_id`,
    [scope, key, requestHash, randomUUID(), claimId],
  );
  return result.rows[0]?.entity_id;
}

/** Keys past their retention answer nothing any more: the sweep removes them (their bodies' fingerprints with them). */
export async function purgeExpiredKeys(db: Knex): Promise<number> {
  return db('app.idempotency_keys').where('created_at', '<', db.raw(`now() - interval '${RETENTION}'`)).delete();
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
