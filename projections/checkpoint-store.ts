import type { Knex } from 'knex';
import { START, type LogPosition } from '../infra/event-store/event-store.js';
import { APPENDED_CHANNEL } from '../infra/event-store/postgres-subscription.js';

export interface Checkpoint {
  readonly position: LogPosition;
  readonly eventsHandled: number;
  readonly status: 'running' | 'failed';
  readonly lastError: string | null;
  /** The code version of the projection that built the live tables. */
  readonly version: number;
}

interface CheckpointRow {
  name: string;
  position_commit: string;
  position_prepare: string;
  events_handled: string;
  status: string;
  last_error: string | null;
  version: number;
}

const TABLE = 'projections.checkpoints';

function toCheckpoint(row: CheckpointRow | undefined): Checkpoint {
  if (!row) return { position: START, eventsHandled: 0, status: 'running', lastError: null, version: 1 };
  return {
    position: { commit: BigInt(row.position_commit), prepare: BigInt(row.position_prepare) },
    eventsHandled: Number(row.events_handled),
    status: row.status === 'failed' ? 'failed' : 'running',
    lastError: row.last_error,
    version: Number(row.version),
  };
}

export async function readCheckpoint(db: Knex | Knex.Transaction, name: string): Promise<Checkpoint> {
  const row = await db<CheckpointRow>(TABLE).where({ name }).first();
  return toCheckpoint(row);
}

/** Locks the projection's checkpoint row for the rest of the transaction (one writer per projection); one round trip. */
export async function lockCheckpoint(trx: Knex.Transaction, name: string): Promise<Checkpoint> {
  const result = await trx.raw<{ rows: CheckpointRow[] }>(
    `INSERT INTO ${TABLE} AS c (name) VALUES (?) ON CONFLICT (name) DO UPDATE SET name = c.name
     RETURNING name, position_commit::text AS position_commit, position_prepare::text AS position_prepare, events_handled::text AS events_handled, status, last_error, version`,
    [name],
  );
  return toCheckpoint(result.rows[0]);
}

/**
 * Moves the checkpoint, and wakes PostgreSQL-store subscribers at commit: this transaction holds back
 * what they may read (they stop below the oldest running transaction), so the wake-up saves them a
 * poll interval of latency. One round trip.
 */
export async function advanceCheckpoint(trx: Knex.Transaction, name: string, position: LogPosition, handled: number): Promise<void> {
  await trx.raw(
    `UPDATE ${TABLE} SET position_commit = ?, position_prepare = ?, events_handled = events_handled + ?, status = 'running', last_error = NULL, updated_at = now()
     FROM (SELECT pg_notify(?, '')) AS wake WHERE name = ?`,
    [position.commit.toString(), position.prepare.toString(), handled, APPENDED_CHANNEL, name],
  );
}

export async function markFailed(db: Knex, name: string, error: string): Promise<void> {
  await db(TABLE).insert({ name, status: 'failed', last_error: error }).onConflict('name').merge({ status: 'failed', last_error: error, updated_at: db.fn.now() });
}

export async function resetCheckpoint(trx: Knex.Transaction, name: string): Promise<void> {
  await trx(TABLE).insert({ name }).onConflict('name').ignore();
  await trx(TABLE).where({ name }).update({ position_commit: -1, position_prepare: -1, events_handled: 0, status: 'running', last_error: null, updated_at: trx.fn.now() });
}

/** Records which code version builds the live tables (a projection starting from nothing builds them with its own). */
export async function recordVersion(db: Knex | Knex.Transaction, name: string, version: number): Promise<void> {
  await db(TABLE).insert({ name, version }).onConflict('name').merge({ version });
}

/** The blue/green switch's checkpoint: the fresh tables' position, count and version (under the lock the caller holds). */
export async function switchCheckpoint(trx: Knex.Transaction, name: string, position: LogPosition, handled: number, version: number): Promise<void> {
  await trx(TABLE).where({ name }).update({
    position_commit: position.commit.toString(),
    position_prepare: position.prepare.toString(),
    events_handled: handled,
    version,
    status: 'running',
    last_error: null,
    updated_at: trx.fn.now(),
  });
}
