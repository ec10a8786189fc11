import type { Knex } from 'knex';
import type { SnapshotStore } from '../../commands/snapshots.js';

/** Snapshots in PostgreSQL (also when events live in EventStoreDB: PostgreSQL is always there). */
export class PostgresSnapshotStore implements SnapshotStore {
  constructor(private readonly db: Knex) {}

  async load(streamId: string, stateVersion: string): Promise<{ revision: number; state: unknown; eventId: string | undefined } | undefined> {
    const row = (await this.db('app.stream_snapshots').select('revision', 'state', 'event_id').where({ stream_id: streamId, state_version: stateVersion }).first()) as
      | { revision: string; state: unknown; event_id: string | null }
      | undefined;
    return row ? { revision: Number(row.revision), state: row.state, eventId: row.event_id ?? undefined } : undefined;
  }

  async save(streamId: string, stateVersion: string, revision: number, state: unknown, eventId: string | undefined): Promise<void> {
    // Never move a snapshot backwards: two processes may save the same stream out of order.
    await this.db.raw(
      `INSERT INTO app.stream_snapshots (stream_id, state_version, revision, state, event_id, taken_at) VALUES (?, ?, ?, ?::jsonb, ?, now())
       ON CONFLICT (stream_id) DO UPDATE SET state_version = EXCLUDED.state_version, revision = EXCLUDED.revision, state = EXCLUDED.state, event_id = EXCLUDED.event_id, taken_at = now()
       WHERE app.stream_snapshots.revision < EXCLUDED.revision OR app.stream_snapshots.state_version <> EXCLUDED.state_version`,
      [streamId, stateVersion, revision, JSON.stringify(state), eventId ?? null],
    );
  }

  async discard(streamId: string): Promise<void> {
    await this.db('app.stream_snapshots').where({ stream_id: streamId }).delete();
  }
}
