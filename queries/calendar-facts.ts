import type { Knex } from 'knex';
import type { AvailabilityFacts, BookingPolicies, BusyInterval, ExceptionFact, RuleFact } from '../domain/availability/availability-types.js';
import { formatLocalDate, MS_PER_DAY, parseLocalDate } from '../domain/availability/time.js';
import { NotFound } from '../domain/shared/domain-error.js';
import type { Cache } from '../infra/cache/cache.js';
import type { Queryable } from '../infra/event-store/postgres-event-store-sql.js';

export interface TherapistCalendarHead {
  readonly therapistId: string;
  readonly policies: BookingPolicies;
  /** Stream revision of the latest availability fact projected: the version caches key on. */
  readonly calendarRevision: number;
  /** Where the availability projection stands in the log: how fresh an answer is. */
  readonly position: { readonly commit: string; readonly prepare: string };
}

interface HeadRow {
  therapist_id: string;
  session_duration_minutes: number;
  buffer_before_minutes: number;
  buffer_after_minutes: number;
  min_advance_booking_hours: number;
  max_advance_booking_days: number;
  timezone: string;
  slot_step_minutes: number | null;
  calendar_revision: string;
  position_commit: string | null;
  position_prepare: string | null;
}

const HEAD_COLUMNS = `p.therapist_id, p.session_duration_minutes, p.buffer_before_minutes, p.buffer_after_minutes,
  p.min_advance_booking_hours, p.max_advance_booking_days, p.timezone, p.slot_step_minutes,
  p.calendar_revision::text AS calendar_revision, c.position_commit::text AS position_commit, c.position_prepare::text AS position_prepare`;
const HEAD_BY_ID = `SELECT ${HEAD_COLUMNS} FROM read.booking_policies p
  LEFT JOIN projections.checkpoints c ON c.name = 'availability' WHERE p.therapist_id = $1`;
const HEAD_BY_SLUG = `SELECT ${HEAD_COLUMNS} FROM read.booking_policies p
  JOIN read.therapists t ON t.id = p.therapist_id
  LEFT JOIN projections.checkpoints c ON c.name = 'availability' WHERE t.slug = $1`;

/**
 * One indexed query, run on every availability request: the therapist's policies, their version and
 * the projection's position. A named prepared statement on the plain pg pool, since it is the whole
 * cost of a cached answer.
 */
export async function calendarHead(pool: Queryable, therapist: { id: string } | { slug: string }): Promise<TherapistCalendarHead> {
  const result = 'id' in therapist
    ? await pool.query<HeadRow>({ name: 'availability_head_by_id', text: HEAD_BY_ID, values: [therapist.id] })
    : await pool.query<HeadRow>({ name: 'availability_head_by_slug', text: HEAD_BY_SLUG, values: [therapist.slug] });
  const row = result.rows[0];
  if (!row) throw new NotFound('therapist', 'id' in therapist ? therapist.id : therapist.slug);
  return {
    therapistId: row.therapist_id,
    policies: {
      sessionDurationMinutes: row.session_duration_minutes,
      bufferBeforeMinutes: row.buffer_before_minutes,
      bufferAfterMinutes: row.buffer_after_minutes,
      minAdvanceBookingHours: row.min_advance_booking_hours,
      maxAdvanceBookingDays: row.max_advance_booking_days,
      timezone: row.timezone,
      slotStepMinutes: row.slot_step_minutes,
    },
    calendarRevision: Number(row.calendar_revision),
    position: { commit: row.position_commit ?? '-1', prepare: row.position_prepare ?? '-1' },
  };
}

type RangeFacts = Omit<AvailabilityFacts, 'policies'>;

/**
 * Rules, the exceptions of the range and the busy time around it. Cached under the calendar
 * revision: any change to these facts bumps the revision, so a cached entry is never stale.
 */
export async function rangeFacts(
  db: Knex,
  cache: Cache,
  head: TherapistCalendarHead,
  range: { startDate: string; endDate: string },
  ttlSeconds: number,
): Promise<{ facts: AvailabilityFacts; cached: boolean }> {
  const key = `availability:facts:${head.therapistId}:${head.calendarRevision}:${range.startDate}:${range.endDate}`;
  const hit = await cache.get(key);
  if (hit !== undefined) return { facts: { policies: head.policies, ...(JSON.parse(hit) as RangeFacts) }, cached: true };
  const loaded = await loadRangeFacts(db, head.therapistId, range);
  await cache.set(key, JSON.stringify(loaded), ttlSeconds);
  return { facts: { policies: head.policies, ...loaded }, cached: false };
}

async function loadRangeFacts(db: Knex, therapistId: string, range: { startDate: string; endDate: string }): Promise<RangeFacts> {
  const first = parseLocalDate(range.startDate) ?? 0;
  const last = parseLocalDate(range.endDate) ?? first;
  // Local days reach at most 14 h either side of UTC midnight, and buffers a few hours more.
  const from = new Date((first - 2) * MS_PER_DAY).toISOString();
  const to = new Date((last + 3) * MS_PER_DAY).toISOString();
  const earliestStart = new Date((first - 3) * MS_PER_DAY).toISOString();
  const [rules, exceptions, busy] = await Promise.all([
    db('read.availability_rules').select('day_of_week', 'start_time', 'end_time').where('therapist_id', therapistId),
    db('read.availability_exceptions')
      .select('date', 'all_day', 'start_time', 'end_time', 'is_available')
      .where('therapist_id', therapistId)
      .whereBetween('date', [formatLocalDate(first), formatLocalDate(last)]),
    db('read.busy_intervals')
      .select('kind', 'starts_at', 'ends_at', 'expires_at')
      .where('therapist_id', therapistId)
      // A lower bound on starts_at keeps the index range to the window instead of the whole history:
      // nothing busy lasts a day, so what starts a day before the window is all that can reach into it.
      .where('starts_at', '>', earliestStart)
      .where('starts_at', '<', to)
      .where('ends_at', '>', from),
  ]);
  return {
    rules: (rules as { day_of_week: number; start_time: string; end_time: string }[]).map(
      (r): RuleFact => ({ dayOfWeek: r.day_of_week, startTime: r.start_time, endTime: r.end_time }),
    ),
    exceptions: (exceptions as { date: string; all_day: boolean; start_time: string | null; end_time: string | null; is_available: boolean }[]).map(
      (e): ExceptionFact => ({ date: e.date, allDay: e.all_day, startTime: e.start_time, endTime: e.end_time, isAvailable: e.is_available }),
    ),
    busy: (busy as { kind: string; starts_at: Date; ends_at: Date; expires_at: Date | null }[]).map(
      (b): BusyInterval => ({
        kind: b.kind === 'session' ? 'session' : 'hold',
        startsAt: b.starts_at.toISOString(),
        endsAt: b.ends_at.toISOString(),
        expiresAt: b.expires_at ? b.expires_at.toISOString() : null,
      }),
    ),
  };
}
