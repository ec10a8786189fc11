import type { Knex } from 'knex';
import type { Migration } from './index.js';

/**
 * Patient statistics for the dashboard and for analysts, in SQL: `read.patient_statistics_at(at)`
 * computes them from `read.sessions` as of any instant, and the view `read.patient_statistics` as of
 * now(), so "last", "next" and the balance are right when they are read, never frozen when projected.
 *
 *   attended             sessions completed
 *   cancelled            sessions cancelled (by either side)
 *   no_shows             sessions the patient missed
 *   attendance_rate      BR-PP-002, chosen over the trigger of spec 5.3 (which counts every past
 *                        session not cancelled, a no-show included, as attended): attended ÷
 *                        (attended + cancelled) × 100, two decimals, "attended" being the sessions
 *                        the therapist recorded as completed (a paid no-show is not attendance);
 *                        NULL while both are 0. No-shows are counted apart (no_shows).
 *   first_session_at     the first session not cancelled
 *   last_session_at      the latest session not cancelled that started before `at`
 *   next_session_at      the first scheduled session starting at or after `at`
 *   total_paid           price of sessions paid and not cancelled
 *   outstanding_balance  price of sessions held or due (started before `at`, not cancelled) and not paid
 *   sessions_per_month   {"YYYY-MM": n} of sessions not cancelled, months in the therapist's time zone
 */
export const patientStatistics: Migration = {
  name: '0008-patient-statistics',
  async up(db: Knex) {
    await db.schema.withSchema('read').alterTable('sessions', (t) => {
      // Set when status = cancelled: 'patient' or 'therapist'.
      t.text('cancelled_by');
    });
    // The bookings projection replays from the start to fill cancelled_by in rows written before it
    // (its inserts ignore rows already there and its updates set absolute values, so a replay is safe).
    await db('projections.checkpoints').where({ name: 'bookings' }).update({ position_commit: -1, position_prepare: -1, events_handled: 0 });
    await db.raw(`
      CREATE FUNCTION read.patient_statistics_at(at timestamptz)
      RETURNS TABLE (patient_id uuid, therapist_id uuid, attended integer, cancelled integer, no_shows integer, attendance_rate numeric,
                     first_session_at timestamptz, last_session_at timestamptz, next_session_at timestamptz,
                     total_paid numeric, outstanding_balance numeric, sessions_per_month jsonb)
      LANGUAGE sql STABLE AS $$
        SELECT s.patient_id, s.therapist_id,
          (count(*) FILTER (WHERE s.status = 'completed'))::integer,
          (count(*) FILTER (WHERE s.status = 'cancelled'))::integer,
          (count(*) FILTER (WHERE s.status = 'no_show'))::integer,
          CASE WHEN count(*) FILTER (WHERE s.status IN ('completed', 'cancelled')) = 0 THEN NULL
               ELSE round(100.0 * count(*) FILTER (WHERE s.status = 'completed') / count(*) FILTER (WHERE s.status IN ('completed', 'cancelled')), 2) END,
          min(s.starts_at) FILTER (WHERE s.status <> 'cancelled'),
          max(s.starts_at) FILTER (WHERE s.status <> 'cancelled' AND s.starts_at < at),
          min(s.starts_at) FILTER (WHERE s.status = 'scheduled' AND s.starts_at >= at),
          coalesce(sum(s.price) FILTER (WHERE s.payment_status = 'paid' AND s.status <> 'cancelled'), 0),
          coalesce(sum(s.price) FILTER (WHERE s.payment_status <> 'paid' AND s.status <> 'cancelled' AND s.starts_at < at), 0),
          coalesce((SELECT jsonb_object_agg(m.month, m.sessions ORDER BY m.month) FROM (
              SELECT to_char(x.starts_at AT TIME ZONE coalesce(bp.timezone, 'America/Argentina/Buenos_Aires'), 'YYYY-MM') AS month, count(*)::integer AS sessions
              FROM read.sessions x LEFT JOIN read.booking_policies bp ON bp.therapist_id = x.therapist_id
              WHERE x.patient_id = s.patient_id AND x.status <> 'cancelled' GROUP BY 1) m), '{}'::jsonb)
        FROM read.sessions s
        GROUP BY s.patient_id, s.therapist_id
      $$`);
    await db.raw('CREATE VIEW read.patient_statistics AS SELECT * FROM read.patient_statistics_at(now())');
  },
  async down(db: Knex) {
    await db.raw('DROP VIEW IF EXISTS read.patient_statistics');
    await db.raw('DROP FUNCTION IF EXISTS read.patient_statistics_at(timestamptz)');
    await db.schema.withSchema('read').alterTable('sessions', (t) => t.dropColumn('cancelled_by'));
  },
};
