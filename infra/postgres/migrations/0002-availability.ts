import type { Knex } from 'knex';
import type { Migration } from './index.js';

/**
 * The availability read model: the small facts slots are computed from at query time. Times of day
 * are the therapist's wall-clock `HH:MM` (end may be `24:00`), instants are UTC.
 */
export const availability: Migration = {
  name: '0002-availability',
  async up(db: Knex) {
    await db.schema.withSchema('read').createTable('booking_policies', (t) => {
      t.uuid('therapist_id').primary();
      t.integer('session_duration_minutes').notNullable();
      t.integer('buffer_before_minutes').notNullable();
      t.integer('buffer_after_minutes').notNullable();
      t.integer('min_advance_booking_hours').notNullable();
      t.integer('max_advance_booking_days').notNullable();
      t.text('timezone').notNullable();
      t.integer('slot_step_minutes');
      // Revision of the therapist stream's latest event that changed any availability fact:
      // the version availability caches are keyed on.
      t.bigInteger('calendar_revision').notNullable();
    });
    await db.schema.withSchema('read').createTable('availability_rules', (t) => {
      t.uuid('therapist_id').notNullable();
      t.text('rule_id').notNullable();
      t.smallint('day_of_week').notNullable();
      t.text('start_time').notNullable();
      t.text('end_time').notNullable();
      t.primary(['therapist_id', 'rule_id']);
    });
    await db.schema.withSchema('read').createTable('availability_exceptions', (t) => {
      t.uuid('therapist_id').notNullable();
      t.text('exception_id').notNullable();
      t.date('date').notNullable();
      t.boolean('all_day').notNullable();
      t.text('start_time');
      t.text('end_time');
      t.boolean('is_available').notNullable();
      t.text('reason');
      t.primary(['therapist_id', 'exception_id']);
      t.index(['therapist_id', 'date']);
    });
    await db.schema.withSchema('read').createTable('busy_intervals', (t) => {
      t.uuid('therapist_id').notNullable();
      // The booking request (a hold) or the session that takes the time.
      t.text('source_id').notNullable();
      t.text('kind').notNullable();
      t.timestamp('starts_at', { useTz: true }).notNullable();
      t.timestamp('ends_at', { useTz: true }).notNullable();
      // Holds only: when the hold stops blocking; null = until an event releases it.
      t.timestamp('expires_at', { useTz: true });
      t.primary(['therapist_id', 'source_id']);
      t.index(['therapist_id', 'starts_at']);
    });
    // Dates are `YYYY-MM-DD` strings to the domain, never a JS Date at local midnight.
    await db.raw("COMMENT ON COLUMN read.availability_exceptions.date IS 'local date in the therapist''s time zone'");
  },
  async down(db: Knex) {
    for (const table of ['busy_intervals', 'availability_exceptions', 'availability_rules', 'booking_policies']) {
      await db.schema.withSchema('read').dropTableIfExists(table);
    }
  },
};
