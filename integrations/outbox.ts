import type { Knex } from 'knex';
import { INTEGRATIONS, type Dispatch, type DispatchPayload, type Integration, type OutboxChange } from './dispatch-plan.js';

/**
 * The reactors' outbox (app.integration_dispatches). Rows are written by the reactor in its
 * checkpoint's transaction and claimed by dispatchers outside any transaction: a claim is one short
 * statement (SKIP LOCKED, so several processes share the work), the call happens after it commits.
 */
const TABLE = 'app.integration_dispatches';

export interface DispatchRow {
  readonly key: string;
  readonly integration: Integration;
  readonly kind: Dispatch['kind'];
  readonly therapistId: string | null;
  readonly payload: DispatchPayload;
  readonly status: 'pending' | 'in_flight' | 'done' | 'failed' | 'cancelled';
  readonly dueAt: Date;
  readonly attempts: number;
  /** When the previous attempt began: set on a row claimed again after a crash mid-call. */
  readonly previousClaimAt: Date | null;
  /**
   * This claim's time (null on a row read, not claimed): what settles the row must still hold it, so a
   * process that stalled past the stale threshold and lost the row to a reclaim settles nothing.
   */
  readonly claimedAt: Date | null;
  readonly lastError: string | null;
  readonly outcome: unknown;
  readonly createdAt: Date;
}

interface Row {
  key: string;
  integration: Integration;
  kind: Dispatch['kind'];
  therapist_id: string | null;
  payload: DispatchPayload;
  status: DispatchRow['status'];
  due_at: Date;
  attempts: number;
  claimed_at: Date | null;
  previous_claim: Date | null;
  last_error: string | null;
  outcome: unknown;
  created_at: Date;
}

function toDispatch(row: Row): DispatchRow {
  return {
    key: row.key,
    integration: row.integration,
    kind: row.kind,
    therapistId: row.therapist_id,
    payload: row.payload,
    status: row.status,
    dueAt: row.due_at,
    attempts: row.attempts,
    previousClaimAt: row.previous_claim,
    claimedAt: row.claimed_at,
    lastError: row.last_error,
    outcome: row.outcome,
    createdAt: row.created_at,
  };
}

export async function applyChanges(trx: Knex.Transaction, changes: readonly OutboxChange[]): Promise<void> {
  for (const change of changes) {
    switch (change.op) {
      case 'insert': {
        const d = change.dispatch;
        // A replayed event finds its row: whatever happened to it (done, failed) stays.
        await trx(TABLE)
          .insert({ key: d.key, integration: d.integration, kind: d.kind, therapist_id: d.therapistId, payload: JSON.stringify(d.payload), due_at: d.dueAt, next_attempt_at: d.dueAt })
          .onConflict('key')
          .ignore();
        break;
      }
      case 'reschedule':
        await trx(TABLE).where({ key: change.key, status: 'pending' }).update({ due_at: change.dueAt, next_attempt_at: change.dueAt, updated_at: trx.fn.now() });
        break;
      case 'cancel':
        await trx(TABLE).whereIn('key', change.keys).where({ status: 'pending' }).update({ status: 'cancelled', last_error: change.reason, updated_at: trx.fn.now() });
        break;
    }
  }
}

/** Outside the reactor: a payment notification (the webhook), keyed so a duplicate adds nothing. */
export async function enqueue(db: Knex, dispatch: Dispatch): Promise<boolean> {
  const inserted = await db(TABLE)
    .insert({ key: dispatch.key, integration: dispatch.integration, kind: dispatch.kind, therapist_id: dispatch.therapistId, payload: JSON.stringify(dispatch.payload), due_at: dispatch.dueAt, next_attempt_at: dispatch.dueAt })
    .onConflict('key')
    .ignore()
    .returning('key');
  return inserted.length > 0;
}

/**
 * Claims up to `limit` due rows: pending ones whose time has come, and rows left in flight by a
 * process that died mid-call (claimed longer ago than `staleAfterMs`). The previous claim's time is
 * returned, so the handler asks the provider what that attempt did before acting again.
 */
export async function claimDue(db: Knex, now: Date, limit: number, staleAfterMs: number): Promise<DispatchRow[]> {
  const result = await db.raw<{ rows: Row[] }>(
    `WITH due AS (
       SELECT key, claimed_at AS previous_claim FROM ${TABLE}
       WHERE (status = 'pending' AND next_attempt_at <= ?) OR (status = 'in_flight' AND claimed_at <= ?)
       ORDER BY next_attempt_at LIMIT ? FOR UPDATE SKIP LOCKED)
     UPDATE ${TABLE} d SET status = 'in_flight', attempts = d.attempts + 1, claimed_at = ?, updated_at = now()
     FROM due
     WHERE d.key = due.key
     RETURNING d.key, d.integration, d.kind, d.therapist_id, d.payload, d.status, d.due_at, d.attempts, d.claimed_at, due.previous_claim, d.last_error, d.outcome, d.created_at`,
    [now, new Date(now.getTime() - staleAfterMs), limit, now],
  );
  return result.rows.map(toDispatch);
}

/** The claimed row, as long as this claim still holds it. */
function claimed(db: Knex, claim: Pick<DispatchRow, 'key' | 'claimedAt'>) {
  return db(TABLE).where({ key: claim.key, status: 'in_flight', claimed_at: claim.claimedAt });
}

/** False when the claim was lost (the row was reclaimed as stale, and maybe settled, by another process): nothing changed. */
export async function complete(db: Knex, claim: Pick<DispatchRow, 'key' | 'claimedAt'>, status: 'done' | 'failed' | 'cancelled', outcome: unknown, note: string | null = null): Promise<boolean> {
  return (await claimed(db, claim).update({ status, outcome: outcome === undefined ? null : JSON.stringify(outcome), last_error: note, claimed_at: null, updated_at: db.fn.now() })) > 0;
}

/** Back to pending, to be tried again at `at` (a transient failure, or waiting for something else). */
export async function retryAt(db: Knex, claim: Pick<DispatchRow, 'key' | 'claimedAt'>, at: Date, error: string | null, options: { countAttempt: boolean } = { countAttempt: true }): Promise<boolean> {
  return (await claimed(db, claim)
    .update({ status: 'pending', next_attempt_at: at, last_error: error, claimed_at: null, attempts: options.countAttempt ? db.raw('attempts') : db.raw('greatest(attempts - 1, 0)'), updated_at: db.fn.now() })) > 0;
}

/**
 * What a message's text was made from, kept on its row before the send: a retry after a crash writes
 * the very same text (a Meet link that arrived meanwhile must not change it), so it can be found at
 * the provider by its body. Links only: the personal parts are opened again from the log.
 */
export async function freezeInputs(db: Knex, key: string, inputs: Readonly<Record<string, string | null>>): Promise<void> {
  await db(TABLE).where({ key }).update({ outcome: JSON.stringify({ frozen: inputs }) });
}

/**
 * The provider's answer, kept on the row the moment it came (the same PostgreSQL, not the event
 * store): when recording the outcome then fails, the retry records this answer instead of calling again.
 */
export async function rememberSent(db: Knex, key: string, sent: { readonly id: string; readonly status: string }): Promise<void> {
  await db(TABLE).where({ key }).update({ outcome: db.raw(`coalesce(outcome, '{}'::jsonb) || jsonb_build_object('sent', ?::jsonb)`, [JSON.stringify(sent)]) });
}

export function sentBefore(row: DispatchRow): { readonly id: string; readonly status: string } | undefined {
  return (row.outcome as { sent?: { id: string; status: string } } | null)?.sent;
}

export function frozenInputs(row: DispatchRow): Readonly<Record<string, string | null>> | undefined {
  const outcome = row.outcome as { frozen?: Record<string, string | null> } | null;
  return outcome?.frozen;
}

export async function dispatchOf(db: Knex, key: string): Promise<DispatchRow | undefined> {
  const row = (await db(TABLE).select('*', db.raw('NULL::timestamptz AS previous_claim')).where({ key }).first()) as Row | undefined;
  return row ? toDispatch(row) : undefined;
}

export interface IntegrationHealth {
  readonly integration: Integration;
  readonly pending: number;
  readonly retrying: number;
  readonly failedLastDay: number;
  readonly oldestDueAt: string | null;
}

/**
 * Per integration: what waits, what is being retried, what failed for good in the last day (ops and
 * /ready). Due times are on the calendar's clock (`now`), row updates on the database's. Only open
 * and recently failed calls are counted, each kind through its partial index: done calls stay in
 * the table for good, and every /ready and /metrics scrape asks this. Every integration is answered,
 * with zeros when it has nothing open.
 */
export async function outboxHealth(db: Knex, now: Date): Promise<IntegrationHealth[]> {
  const rows = (await db.raw<{ rows: { integration: Integration; pending: string; retrying: string; failed: string; oldest: Date | null }[] }>(
    `SELECT integration,
            count(*) FILTER (WHERE status IN ('pending', 'in_flight') AND next_attempt_at <= ?) AS pending,
            count(*) FILTER (WHERE status IN ('pending', 'in_flight') AND last_error IS NOT NULL) AS retrying,
            count(*) FILTER (WHERE status = 'failed') AS failed,
            min(greatest(next_attempt_at, created_at)) FILTER (WHERE status IN ('pending', 'in_flight') AND next_attempt_at <= ?) AS oldest
     FROM ${TABLE}
     WHERE status IN ('pending', 'in_flight') OR (status = 'failed' AND updated_at > now() - interval '1 day')
     GROUP BY integration`,
    [now, now],
  )).rows;
  const found = new Map(rows.map((r) => [r.integration, r]));
  return INTEGRATIONS.map((integration) => {
    const r = found.get(integration);
    return { integration, pending: Number(r?.pending ?? 0), retrying: Number(r?.retrying ?? 0), failedLastDay: Number(r?.failed ?? 0), oldestDueAt: r?.oldest ? new Date(r.oldest).toISOString() : null };
  });
}
