import type { Knex } from 'knex';
import type { Migration } from './index.js';

/**
 * Booking requests and sessions (read models), patients' identities (a uniqueness reservation, as
 * for slugs), idempotency keys, and the secret patient tokens are derived from.
 */
export const booking: Migration = {
  name: '0003-booking',
  async up(db: Knex) {
    await db.schema.withSchema('read').createTable('booking_requests', (t) => {
      t.uuid('id').primary();
      t.uuid('therapist_id').notNullable();
      t.text('status').notNullable();
      t.text('patient_name').notNullable();
      t.text('patient_email').notNullable();
      t.text('patient_phone').notNullable();
      t.boolean('is_new_patient').notNullable();
      t.text('reason_for_consultation');
      t.text('payment_method').notNullable();
      t.date('requested_date').notNullable();
      t.text('requested_time').notNullable();
      t.timestamp('starts_at', { useTz: true }).notNullable();
      t.timestamp('ends_at', { useTz: true }).notNullable();
      t.integer('duration_minutes').notNullable();
      t.decimal('price_at_booking', 12, 2).notNullable();
      t.text('currency').notNullable();
      t.timestamp('hold_expires_at', { useTz: true }).notNullable();
      t.boolean('hold_released').notNullable().defaultTo(false);
      t.timestamp('expires_at', { useTz: true }).notNullable();
      t.text('payment_reference');
      t.uuid('patient_id');
      t.uuid('session_id');
      t.text('cancelled_by');
      t.text('cancellation_reason');
      t.timestamp('requested_at', { useTz: true }).notNullable();
      // When the request reached a final status: expired and cancelled ones leave this table 24 h later.
      t.timestamp('closed_at', { useTz: true });
      t.index(['therapist_id', 'status', 'starts_at']);
      t.index(['status', 'hold_expires_at']);
      t.index(['status', 'expires_at']);
    });
    await db.schema.withSchema('read').createTable('sessions', (t) => {
      t.uuid('id').primary();
      t.uuid('therapist_id').notNullable();
      t.uuid('patient_id').notNullable();
      t.uuid('booking_id');
      t.uuid('recurrence_id');
      t.timestamp('starts_at', { useTz: true }).notNullable();
      t.timestamp('ends_at', { useTz: true }).notNullable();
      t.integer('duration_minutes').notNullable();
      t.decimal('price', 12, 2).notNullable();
      t.text('payment_status').notNullable();
      t.text('status').notNullable();
      t.text('source').notNullable();
      t.timestamp('status_changed_at', { useTz: true });
      t.index(['therapist_id', 'starts_at']);
      t.index(['patient_id', 'starts_at']);
    });
    await db.schema.withSchema('read').createTable('patients', (t) => {
      t.uuid('id').primary();
      t.uuid('therapist_id').notNullable().index();
      t.text('name').notNullable();
      t.text('email').notNullable();
      t.text('phone').notNullable();
      t.uuid('first_booking_id');
      t.timestamp('registered_at', { useTz: true }).notNullable();
    });
    // De-duplication keys (BR-BK-005, BR-PP-003): phone first, then e-mail, per therapist.
    await db.schema.withSchema('app').createTable('patient_identities', (t) => {
      t.uuid('therapist_id').notNullable();
      t.text('kind').notNullable();
      t.text('value').notNullable();
      t.uuid('patient_id').notNullable();
      t.primary(['therapist_id', 'kind', 'value']);
    });
    await db.schema.withSchema('app').createTable('idempotency_keys', (t) => {
      t.text('scope').notNullable();
      t.text('key').notNullable();
      t.text('request_hash').notNullable();
      t.integer('status');
      t.jsonb('response');
      t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
      t.primary(['scope', 'key']);
    });
    await db.schema.withSchema('app').createTable('secrets', (t) => {
      t.text('name').primary();
      t.text('value').notNullable();
    });
  },
  async down(db: Knex) {
    for (const table of ['read.booking_requests', 'read.sessions', 'read.patients', 'app.patient_identities', 'app.idempotency_keys', 'app.secrets']) {
      await db.schema.dropTableIfExists(table);
    }
  },
};
