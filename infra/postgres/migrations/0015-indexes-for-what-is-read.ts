import type { Knex } from 'knex';
import type { Migration } from './index.js';

/**
 * Indexes for what is read. The deadline sweeps once found expiring holds and payments through
 * read.booking_requests; since 0013 they find them through app.booking_directory and decide from the
 * therapist's stream, so nothing reads these three indexes any more, while every write of the
 * projection paid for them and every rebuild built them again. And the integrations' health (every
 * /ready and /metrics scrape) counts the calls that failed for good in the last day: through an
 * index of failed calls rather than a scan of an outbox that keeps every call it ever made.
 */
const UNUSED = [
  { name: 'booking_requests_status_hold_expires_at_index', columns: ['status', 'hold_expires_at'] },
  { name: 'booking_requests_status_expires_at_index', columns: ['status', 'expires_at'] },
  { name: 'booking_requests_status_payment_expires_at_index', columns: ['status', 'payment_expires_at'] },
] as const;

export const indexesForWhatIsRead: Migration = {
  name: '0015-indexes-for-what-is-read',
  async up(db: Knex) {
    for (const index of UNUSED) await db.raw(`DROP INDEX IF EXISTS read.${index.name}`);
    await db.raw("CREATE INDEX integration_dispatches_failed ON app.integration_dispatches (updated_at) WHERE status = 'failed'");
  },
  async down(db: Knex) {
    await db.raw('DROP INDEX IF EXISTS app.integration_dispatches_failed');
    for (const index of UNUSED) await db.raw(`CREATE INDEX IF NOT EXISTS ${index.name} ON read.booking_requests (${index.columns.join(', ')})`);
  },
};
