import type { Knex } from 'knex';
import type { Migration } from './index.js';

/**
 * Blue/green rebuilds (issue 15, see projections/rebuild.ts). `projections.checkpoints.version`: the
 * code version of the projection that built the live tables (1 for everything built before
 * versions existed). `projections.rebuilds`: one row per rebuild under way or interrupted — the
 * version it builds, the schema its fresh tables are in, and how far it has replayed the log,
 * moved in the transaction that writes those tables, so a rebuild killed halfway resumes from there.
 */
export const blueGreenRebuilds: Migration = {
  name: '0014-blue-green-rebuilds',
  async up(db: Knex) {
    await db.schema.withSchema('projections').alterTable('checkpoints', (t) => {
      t.integer('version').notNullable().defaultTo(1);
    });
    await db.schema.withSchema('projections').createTable('rebuilds', (t) => {
      t.text('name').primary();
      t.integer('version').notNullable();
      // Where the fresh tables are built: rebuild_{name}, dropped once they are switched in or discarded.
      t.text('staging_schema').notNullable();
      // The live tables it builds, in order (a projection that changed its tables starts over).
      t.specificType('tables', 'text[]').notNullable();
      t.bigInteger('position_commit').notNullable().defaultTo(-1);
      t.bigInteger('position_prepare').notNullable().defaultTo(-1);
      t.bigInteger('events_handled').notNullable().defaultTo(0);
      t.timestamp('started_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
      t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
    });
  },
  async down(db: Knex) {
    await db.schema.withSchema('projections').dropTableIfExists('rebuilds');
    await db.schema.withSchema('projections').alterTable('checkpoints', (t) => t.dropColumn('version'));
  },
};
