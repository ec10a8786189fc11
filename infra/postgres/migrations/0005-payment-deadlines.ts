import type { Knex } from 'knex';
import type { Migration } from './index.js';

/**
 * A started payment has a deadline (BOOKING_PAYMENT_TIMEOUT_HOURS, capped by the session's notice);
 * past it the request expires, and a payment reported after that is kept as a late payment.
 * Idempotency keys carry the id of the entity their first request created, and snapshots the id
 * of the event they were taken at.
 */
export const paymentDeadlines: Migration = {
  name: '0005-payment-deadlines',
  async up(db: Knex) {
    await db.schema.withSchema('read').alterTable('booking_requests', (t) => {
      // Set while status = payment_processing: when the payment must have completed (UTC).
      t.timestamp('payment_expires_at', { useTz: true });
      // Set when status = expired: 'unpaid' (never paid in time) or 'payment_not_completed' (payment started, never completed).
      t.text('expiry_reason');
      // The latest payment reported after the request expired or was cancelled (money to match or refund).
      t.timestamp('late_payment_received_at', { useTz: true });
      t.text('late_payment_reference');
      t.index(['status', 'payment_expires_at']);
    });
    // Rows closed before this migration could only have expired unpaid.
    await db('read.booking_requests').where({ status: 'expired' }).update({ expiry_reason: 'unpaid' });
    await db.schema.withSchema('app').alterTable('idempotency_keys', (t) => {
      // The id the first request with this key creates its entity with (random); a retry finds it again.
      t.uuid('entity_id');
      // Until then the claim's request is running; a retry of the same request may take it over after.
      t.timestamp('claimed_until', { useTz: true });
      // Which run holds the claim: only it may store the answer or release the claim.
      t.uuid('claim_id');
    });
    await db.schema.withSchema('app').alterTable('stream_snapshots', (t) => {
      // Id of the event at `revision`: a snapshot of another history (a restored store) is recognised and dropped.
      t.text('event_id');
    });
  },
  async down(db: Knex) {
    await db.schema.withSchema('read').alterTable('booking_requests', (t) => {
      t.dropColumns('payment_expires_at', 'expiry_reason', 'late_payment_received_at', 'late_payment_reference');
    });
    await db.schema.withSchema('app').alterTable('idempotency_keys', (t) => t.dropColumns('entity_id', 'claimed_until', 'claim_id'));
    await db.schema.withSchema('app').alterTable('stream_snapshots', (t) => t.dropColumn('event_id'));
  },
};
