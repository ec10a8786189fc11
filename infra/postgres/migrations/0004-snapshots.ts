import type { Knex } from 'knex';
import type { Migration } from './index.js';

/** Folded stream states (see commands/snapshots.ts): a cache with a durable home, never a source of truth. */
export const snapshots: Migration = {
  name: '0004-snapshots',
  async up(db: Knex) {
    await db.schema.withSchema('app').createTable('stream_snapshots', (t) => {
      t.text('stream_id').primary();
      t.text('state_version').notNullable();
      t.bigInteger('revision').notNullable();
      t.jsonb('state').notNullable();
      t.timestamp('taken_at', { useTz: true }).notNullable();
    });
  },
  async down(db: Knex) {
    await db.schema.withSchema('app').dropTableIfExists('stream_snapshots');
  },
};
