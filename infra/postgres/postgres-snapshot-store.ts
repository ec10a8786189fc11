import type { Knex } from 'knex';
import type { SnapshotStore } from '../../commands/snapshots.js';

/** Snapshots in PostgreSQL (also when events live in EventStoreDB: PostgreSQL is always there). */
export class PostgresSnapshotStore implements SnapshotStore {
  constructor(private readonly db: Knex) {}

  async load(streamId: string, stateVersion: string): Promise<{ revision: number; state: unknown } | undefined> {
    const row = (await this.db('app.stream_snapshots').select('revision', 'state').where({ stream_id: streamId, state_version: stateVersion }).first()) as
      | { revision: string; state: unknown }
      | undefined;
    return row ? { revision: Number(row.revision), state: row.state } : undefined;
  }

  async save(streamId: string, stateVersion: string, revision: number, state: unknown): Promise<void> {
    // Never move a snapshot backwards: two processes may save the same stream out of order.
    await this.db.raw(
      `INSERT INTO app.stream_snapshots (stream_id, state_version, revision, state, taken_at) VALUES (?, ?, ?, ?::jsonb, now())
       ON CONFLICT (stream_id) DO UPDATE SET state_version = EXCLUDED.state_version, revision = EXCLUDED.revision, state = EXCLUDED.state, taken_at = now()
       WHERE app.stream_snapshots.revision < EXCLUDED.revision OR app.stream_snapshots.state_version <> EXCLUDED.state_version`,
      [streamId, stateVersion, revision, JSON.stringify(state)],
    );
  }
}
