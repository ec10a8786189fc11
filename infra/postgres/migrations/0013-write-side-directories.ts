import type { Knex } from 'knex';
import type { Migration } from './index.js';

/**
 * `app.booking_directory`: which therapist's calendar holds each booking, and when the deadline sweep
 * must look at it next (its hold end, expiry, payment deadline or archiving; null when nothing is
 * ever due again). Kept by the commands themselves, written before the request's append, so neither
 * a patient's cancellation nor an expiry depends on a read model being healthy (issue 15). It is an
 * index, never the truth: the sweep re-reads the therapist stream and decides from it, so a row that
 * is early or names a booking the stream never got costs one look and nothing else.
 */
const UUID = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';

export const writeSideDirectories: Migration = {
  name: '0013-write-side-directories',
  async up(db: Knex) {
    await db.schema.withSchema('app').createTable('booking_directory', (t) => {
      t.uuid('booking_id').primary();
      t.uuid('therapist_id').notNullable();
      t.timestamp('next_deadline_at', { useTz: true });
      t.timestamp('recorded_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
    });
    await db.raw('CREATE INDEX booking_directory_due ON app.booking_directory (next_deadline_at) WHERE next_deadline_at IS NOT NULL');
    // Existing bookings: every one the log holds when it is in this database (the embedded store),
    // else every one the read model still has; all due at once, so the sweep sets each row's true
    // deadline from its stream (and archives what the old sweep had deleted with no event behind it).
    const found = await db.raw<{ rows: { here: boolean }[] }>("SELECT to_regclass('event_store.events') IS NOT NULL AS here");
    const storeHere = found.rows[0]?.here === true;
    const source = storeHere
      ? `SELECT DISTINCT (data->>'bookingId')::uuid, substr(stream_id, length('therapist-') + 1)::uuid FROM event_store.events
         WHERE event_type = 'BookingRequested' AND stream_id ~ '^therapist-${UUID}$' AND data->>'bookingId' ~ '^${UUID}$'`
      : 'SELECT id, therapist_id FROM read.booking_requests';
    await db.raw(`INSERT INTO app.booking_directory (booking_id, therapist_id, next_deadline_at) SELECT b.*, now() FROM (${source}) AS b ON CONFLICT DO NOTHING`);
  },
  async down(db: Knex) {
    await db.schema.withSchema('app').dropTableIfExists('booking_directory');
  },
};
