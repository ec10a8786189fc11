import type { Knex } from 'knex';
import { START, type LogPosition } from '../../infra/event-store/event-store.js';

/**
 * The newest committed event's position. Not the store's head: that stops below the oldest running
 * transaction in the whole cluster, so while other test files write, it can lag far behind our own
 * commits — and waiting for it would end too early.
 */
export async function newestCommittedPosition(db: Knex): Promise<LogPosition> {
  const result = await db.raw<{ rows: { commit: string; prepare: string }[] }>(
    'SELECT transaction_id::text AS commit, global_position::text AS prepare FROM event_store.events ORDER BY transaction_id DESC, global_position DESC LIMIT 1',
  );
  const row = result.rows[0];
  return row ? { commit: BigInt(row.commit), prepare: BigInt(row.prepare) } : START;
}
