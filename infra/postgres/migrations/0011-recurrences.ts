import type { Knex } from 'knex';
import { isolateReadModels } from '../read-model-isolation.js';
import type { Migration } from './index.js';

/**
 * Recurring sessions (issue 12). `read.recurrences`: each recurrence, its schedule (the RFC 5545 rule
 * in `rule`, local times in `timezone`), status and how far it has generated (`handled_through`:
 * the latest occurrence date generated or skipped; `not_before`: none before it, the start date or
 * the day it resumed). The availability query expands its future occurrences to show them booked.
 * `read.notifications`: the therapist's dashboard (skipped occurrences, completed recurrences, new
 * bookings, payment reminders due), read or not. `app.recurring_therapists`: which therapists the
 * daily generation visits, by time zone (kept by the commands, not a read model).
 */
export const recurrences: Migration = {
  name: '0011-recurrences',
  async up(db: Knex) {
    await db.schema.withSchema('read').createTable('recurrences', (t) => {
      t.uuid('id').primary();
      t.uuid('therapist_id').notNullable();
      t.uuid('patient_id').notNullable();
      // weekly | biweekly | monthly | custom (every interval_days days).
      t.text('frequency').notNullable();
      t.integer('interval_days');
      // 0 = Sunday … 6 = Saturday (weekly, biweekly).
      t.smallint('day_of_week');
      t.text('local_time').notNullable();
      t.integer('duration_minutes').notNullable();
      t.decimal('price', 12, 2).notNullable();
      t.date('start_date').notNullable();
      t.date('end_date');
      t.boolean('reminders_enabled').notNullable();
      t.integer('reminder_days_before').notNullable();
      t.text('rule').notNullable();
      t.text('timezone').notNullable();
      // active | paused | stopped | completed.
      t.text('status').notNullable();
      t.date('not_before').notNullable();
      t.date('handled_through');
      t.timestamp('configured_at', { useTz: true }).notNullable();
      t.timestamp('updated_at', { useTz: true }).notNullable();
      t.index(['therapist_id', 'status']);
      t.index(['patient_id']);
    });
    await db.schema.withSchema('read').createTable('notifications', (t) => {
      // kind:subject, e.g. `skipped:{recurrenceId}:{date}`: the same notification from a replay.
      t.text('id').primary();
      t.uuid('therapist_id').notNullable();
      // recurring_session_skipped | recurrence_completed | booking_requested | payment_reminder_due.
      t.text('kind').notNullable();
      t.uuid('recurrence_id');
      t.uuid('patient_id');
      t.uuid('session_id');
      t.uuid('booking_id');
      t.date('occurrence_date');
      t.timestamp('starts_at', { useTz: true });
      // Skip reasons (BR-RS-002), and the exceptions that blocked the occurrence.
      t.specificType('reasons', 'text[]');
      t.specificType('exception_ids', 'text[]');
      t.timestamp('created_at', { useTz: true }).notNullable();
      t.timestamp('read_at', { useTz: true });
      t.index(['therapist_id', 'created_at']);
    });
    await db.schema.withSchema('read').alterTable('sessions', (t) => {
      // The recurrence's local date this session is the occurrence of.
      t.date('occurrence_date');
      t.timestamp('paid_at', { useTz: true });
      t.text('payment_reference');
      // BR-RS-007: when the payment reminder of this unpaid session came due.
      t.timestamp('payment_reminder_due_at', { useTz: true });
    });
    await db.schema.withSchema('app').createTable('recurring_therapists', (t) => {
      t.uuid('therapist_id').primary();
      t.text('timezone').notNullable();
      t.timestamp('registered_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
    });
    // Every generation run's summary (the daily job, or `recurring generate` by hand), for ops.
    await db.schema.withSchema('app').createTable('recurring_generation_runs', (t) => {
      t.uuid('id').primary();
      // daily:{zone} | cli | api
      t.text('trigger').notNullable();
      t.text('timezone');
      t.timestamp('as_of', { useTz: true }).notNullable();
      t.timestamp('started_at', { useTz: true }).notNullable();
      t.timestamp('finished_at', { useTz: true }).notNullable();
      t.integer('processed').notNullable();
      t.integer('generated').notNullable();
      t.integer('skipped').notNullable();
      t.integer('completed').notNullable();
      t.integer('reminders_due').notNullable();
      // [{ therapistId, error }]: which calendars failed, never why in personal terms (safe errors only).
      t.jsonb('errors').notNullable();
      t.index(['started_at']);
    });
    await isolateReadModels(db);
  },
  async down(db: Knex) {
    await db.schema.withSchema('read').dropTableIfExists('recurrences');
    await db.schema.withSchema('read').dropTableIfExists('notifications');
    await db.schema.withSchema('app').dropTableIfExists('recurring_therapists');
    await db.schema.withSchema('app').dropTableIfExists('recurring_generation_runs');
    await db.schema.withSchema('read').alterTable('sessions', (t) => t.dropColumns('occurrence_date', 'paid_at', 'payment_reference', 'payment_reminder_due_at'));
  },
};
