import type { Knex } from 'knex';
import type { Migration } from './index.js';

/**
 * The deadline sweeps once found expiring holds and payments through read.booking_requests; since
 * 0013 they find them through app.booking_directory and decide from the therapist's stream, so
 * nothing reads these three indexes any more. Each was paid on every write of the projection and
 * built again by every rebuild.
 */
const UNUSED = [
  { name: 'booking_requests_status_hold_expires_at_index', columns: ['status', 'hold_expires_at'] },
  { name: 'booking_requests_status_expires_at_index', columns: ['status', 'expires_at'] },
  { name: 'booking_requests_status_payment_expires_at_index', columns: ['status', 'payment_expires_at'] },
] as const;

export const sweepIndexesDropped: Migration = {
  name: '0015-sweep-indexes-dropped',
  async up(db: Knex) {
    for (const index of UNUSED) await db.raw(`DROP INDEX IF EXISTS read.${index.name}`);
  },
  async down(db: Knex) {
    for (const index of UNUSED) await db.raw(`CREATE INDEX IF NOT EXISTS ${index.name} ON read.booking_requests (${index.columns.join(', ')})`);
  },
};
