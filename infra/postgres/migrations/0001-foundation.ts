import type { Knex } from 'knex';
import type { Migration } from './index.js';

/**
 * Schemas: `read` holds the read models (the analysts' documented interface), `projections` the
 * checkpoints, `app` what is not event-sourced (credentials, uniqueness reservations, idempotency).
 */
export const foundation: Migration = {
  name: '0001-foundation',
  async up(db: Knex) {
    await db.raw('CREATE SCHEMA IF NOT EXISTS read');
    await db.raw('CREATE SCHEMA IF NOT EXISTS projections');
    await db.raw('CREATE SCHEMA IF NOT EXISTS app');

    await db.schema.withSchema('projections').createTable('checkpoints', (t) => {
      t.text('name').primary();
      // Log position as the pair (commit, prepare); -1/-1 = from the beginning.
      t.bigInteger('position_commit').notNullable().defaultTo(-1);
      t.bigInteger('position_prepare').notNullable().defaultTo(-1);
      t.bigInteger('events_handled').notNullable().defaultTo(0);
      t.text('status').notNullable().defaultTo('running');
      t.text('last_error');
      t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
    });

    await db.schema.withSchema('read').createTable('therapists', (t) => {
      t.uuid('id').primary();
      t.text('name').notNullable();
      t.text('slug').notNullable().unique();
      t.text('email').notNullable();
      t.text('timezone').notNullable();
      t.decimal('session_price', 12, 2).notNullable();
      t.text('currency').notNullable();
      t.timestamp('registered_at', { useTz: true }).notNullable();
      t.bigInteger('stream_revision').notNullable();
    });

    await db.schema.withSchema('app').createTable('therapist_credentials', (t) => {
      // sha256 of a 256-bit random token: a fast hash is enough for a secret that cannot be guessed.
      t.text('token_hash').primary();
      t.uuid('therapist_id').notNullable().index();
      t.text('label').notNullable().defaultTo('default');
      t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
      t.timestamp('revoked_at', { useTz: true });
    });

    // Slugs are unique across therapists, which no single stream can guarantee: reserve first.
    await db.schema.withSchema('app').createTable('therapist_slugs', (t) => {
      t.text('slug').primary();
      t.uuid('therapist_id').notNullable().unique();
      t.timestamp('reserved_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
    });
  },
  async down(db: Knex) {
    await db.raw('DROP SCHEMA IF EXISTS read CASCADE');
    await db.raw('DROP SCHEMA IF EXISTS projections CASCADE');
    await db.raw('DROP SCHEMA IF EXISTS app CASCADE');
  },
};
