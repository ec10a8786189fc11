import type { Knex } from 'knex';
import { rolesOf } from '../database-roles.js';
import type { Migration } from './index.js';

/**
 * Integrations (issue 13). `app.integration_dispatches`: the reactors' outbox — one row per external
 * call to make (its key is the idempotency key), written in the same transaction as the reactor's
 * checkpoint, claimed by the dispatcher outside any transaction, its outcome appended as an event.
 * Rows carry ids and facts only: personal data is opened from the log when the call is made.
 * `app.local_*`: what the local drivers (no credentials) did, so the embedded start behaves like the
 * real services across restarts; no personal data either (no message bodies, no event summaries).
 */
export const integrations: Migration = {
  name: '0012-integrations',
  async up(db: Knex) {
    // What the integrations made, shown to therapist and patient: the checkout link, the Meet link.
    await db.schema.withSchema('read').alterTable('booking_requests', (t) => t.text('payment_link'));
    await db.schema.withSchema('read').alterTable('sessions', (t) => {
      t.text('payment_link');
      t.text('meet_link');
      t.text('calendar_event_id');
    });
    await db.raw('DROP FUNCTION read.public_booking(uuid)');
    await db.raw(`CREATE FUNCTION read.public_booking(p_id uuid)
      RETURNS TABLE (id uuid, status text, therapist_id uuid, therapist_name text, therapist_slug text, requested_date date, requested_time text,
                     starts_at timestamptz, ends_at timestamptz, duration_minutes integer, price_at_booking numeric, currency text,
                     payment_method text, hold_expires_at timestamptz, expires_at timestamptz, session_id uuid, payment_link text, meet_link text)
      LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
        SELECT b.id, b.status, b.therapist_id, t.name, t.slug, b.requested_date, b.requested_time, b.starts_at, b.ends_at, b.duration_minutes,
               b.price_at_booking, b.currency, b.payment_method, b.hold_expires_at, b.expires_at, b.session_id, b.payment_link, s.meet_link
        FROM read.booking_requests b JOIN read.therapists t ON t.id = b.therapist_id LEFT JOIN read.sessions s ON s.id = b.session_id WHERE b.id = p_id
      $$`);
    const roles = await rolesOf(db);
    await db.raw('REVOKE ALL ON FUNCTION read.public_booking(uuid) FROM PUBLIC');
    await db.raw(`GRANT EXECUTE ON FUNCTION read.public_booking(uuid) TO ${roles.public}, ${roles.api}`);

    await db.schema.withSchema('app').createTable('integration_dispatches', (t) => {
      t.text('key').primary();
      // mercadopago | google | whatsapp | email
      t.text('integration').notNullable();
      t.text('kind').notNullable();
      // Null until known: a payment notification names a payment, its booking (and therapist) come from Mercado Pago.
      t.uuid('therapist_id');
      t.jsonb('payload').notNullable();
      // pending | in_flight | done | failed | cancelled
      t.text('status').notNullable().defaultTo('pending');
      t.timestamp('due_at', { useTz: true }).notNullable();
      t.timestamp('next_attempt_at', { useTz: true }).notNullable();
      t.integer('attempts').notNullable().defaultTo(0);
      // When an attempt began: a row found in flight after a restart asks the provider before acting again.
      t.timestamp('claimed_at', { useTz: true });
      t.text('last_error');
      t.jsonb('outcome');
      t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
      t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
    });
    await db.raw("CREATE INDEX integration_dispatches_due ON app.integration_dispatches (next_attempt_at) WHERE status IN ('pending', 'in_flight')");
    await db.raw('CREATE INDEX integration_dispatches_therapist ON app.integration_dispatches (therapist_id, status)');

    await db.schema.withSchema('app').createTable('local_mercadopago_preferences', (t) => {
      t.text('id').primary();
      t.text('idempotency_key').notNullable().unique();
      t.text('external_reference').notNullable();
      t.text('title').notNullable();
      t.decimal('price', 12, 2).notNullable();
      t.text('currency').notNullable();
      t.timestamp('expires_at', { useTz: true }).notNullable();
      t.text('notification_url').notNullable();
      t.text('back_url').notNullable();
      t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
    });
    await db.schema.withSchema('app').createTable('local_mercadopago_payments', (t) => {
      t.bigIncrements('id').primary();
      t.text('preference_id').notNullable().references('id').inTable('app.local_mercadopago_preferences');
      t.text('status').notNullable();
      t.text('external_reference').notNullable();
      t.decimal('amount', 12, 2).notNullable();
      t.text('currency').notNullable();
      t.timestamp('date_approved', { useTz: true });
      t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
    });
    await db.schema.withSchema('app').createTable('local_calendar_events', (t) => {
      t.text('calendar_id').notNullable();
      t.text('event_id').notNullable();
      t.timestamp('starts_at', { useTz: true }).notNullable();
      t.timestamp('ends_at', { useTz: true }).notNullable();
      t.text('time_zone').notNullable();
      t.text('meet_link');
      // confirmed | cancelled
      t.text('status').notNullable();
      t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
      t.primary(['calendar_id', 'event_id']);
    });
    await db.schema.withSchema('app').createTable('local_messages', (t) => {
      t.text('id').primary();
      // whatsapp | email
      t.text('channel').notNullable();
      t.text('idempotency_key').notNullable().unique();
      // Masked (+54911****0000, p***@example.com): enough to tell messages apart, not to contact anyone.
      t.text('recipient_masked').notNullable();
      t.text('status').notNullable();
      t.timestamp('sent_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
    });
  },
  async down(db: Knex) {
    await db.schema.withSchema('read').alterTable('booking_requests', (t) => t.dropColumn('payment_link'));
    await db.schema.withSchema('read').alterTable('sessions', (t) => t.dropColumns('payment_link', 'meet_link', 'calendar_event_id'));
    for (const table of ['local_messages', 'local_calendar_events', 'local_mercadopago_payments', 'local_mercadopago_preferences', 'integration_dispatches']) {
      await db.schema.withSchema('app').dropTableIfExists(table);
    }
  },
};
