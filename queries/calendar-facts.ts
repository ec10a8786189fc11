import pg from 'pg';
import type { AvailabilityFacts, BookingPolicies, BusyInterval, ExceptionFact, RuleFact } from '../domain/availability/availability-types.js';
import { formatLocalDate, MS_PER_DAY, parseLocalDate } from '../domain/availability/time.js';
import { NotFound } from '../domain/shared/domain-error.js';
import { reservedIntervals } from '../domain/recurrence/reservations.js';
import { scheduleOfRow, type ScheduleRow } from './recurrences.js';
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
  pool: Queryable,
  cache: Cache,
  head: TherapistCalendarHead,
  range: { startDate: string; endDate: string },
  ttlSeconds: number,
): Promise<{ facts: AvailabilityFacts; cached: boolean }> {
  const key = `availability:facts:${head.therapistId}:${head.calendarRevision}:${range.startDate}:${range.endDate}`;
  const hit = await cache.get(key);
  if (hit !== undefined) return { facts: { policies: head.policies, ...(JSON.parse(hit) as RangeFacts) }, cached: true };
  const loaded = await loadRangeFacts(pool, head.therapistId, range);
  await cache.set(key, JSON.stringify(loaded), ttlSeconds);
  return { facts: { policies: head.policies, ...loaded }, cached: false };
}

const ISO = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;
const RULES = `SELECT day_of_week, start_time, end_time FROM read.availability_rules WHERE therapist_id = $1`;
const EXCEPTIONS = `SELECT to_char(date, 'YYYY-MM-DD') AS date, all_day, start_time, end_time, is_available
  FROM read.availability_exceptions WHERE therapist_id = $1 AND date BETWEEN $2::date AND $3::date`;
// A lower bound on starts_at keeps the index range to the window instead of the whole history:
// nothing busy lasts a day, so what starts a day before the window is all that can reach into it.
// Instants come back as ISO strings, formatted by PostgreSQL rather than parsed and reformatted here.
const BUSY = `SELECT kind, to_char(starts_at AT TIME ZONE 'UTC', ${ISO}) AS starts_at, to_char(ends_at AT TIME ZONE 'UTC', ${ISO}) AS ends_at,
    to_char(expires_at AT TIME ZONE 'UTC', ${ISO}) AS expires_at
  FROM read.busy_intervals
  WHERE therapist_id = $1 AND starts_at > $2 AND starts_at < $3 AND ends_at > $4`;

// Active recurrences: the slots they hold ahead of generation are expanded for the range (reservations.ts).
const RECURRENCES = `SELECT frequency, interval_days, day_of_week, local_time, duration_minutes, to_char(start_date, 'YYYY-MM-DD') AS start_date,
    to_char(end_date, 'YYYY-MM-DD') AS end_date, timezone, to_char(not_before, 'YYYY-MM-DD') AS not_before, to_char(handled_through, 'YYYY-MM-DD') AS handled_through
  FROM read.recurrences WHERE therapist_id = $1 AND status = 'active'`;

interface RecurrenceRow extends ScheduleRow {
  not_before: string;
  handled_through: string | null;
}

function reservationsOf(rows: readonly RecurrenceRow[], first: number, last: number): BusyInterval[] {
  const recurrences = rows.map((r) => ({
    schedule: scheduleOfRow(r),
    status: 'active' as const,
    notBefore: r.not_before,
    handledThrough: r.handled_through,
  }));
  // A day either side: a local day's slots reach into its neighbours in UTC, and buffers further.
  return reservedIntervals(recurrences, formatLocalDate(first - 1), formatLocalDate(last + 1));
}

async function loadRangeFacts(pool: Queryable, therapistId: string, range: { startDate: string; endDate: string }): Promise<RangeFacts> {
  const first = parseLocalDate(range.startDate) ?? 0;
  const last = parseLocalDate(range.endDate) ?? first;
  // Local days reach at most 14 h either side of UTC midnight, and buffers a few hours more.
  const from = new Date((first - 2) * MS_PER_DAY).toISOString();
  const to = new Date((last + 3) * MS_PER_DAY).toISOString();
  const earliestStart = new Date((first - 3) * MS_PER_DAY).toISOString();
  const queries = [
    () => pool.query<{ day_of_week: number; start_time: string; end_time: string }>({ name: 'availability_rules', text: RULES, values: [therapistId] }),
    () => pool.query<{ date: string; all_day: boolean; start_time: string | null; end_time: string | null; is_available: boolean }>({
      name: 'availability_exceptions',
      text: EXCEPTIONS,
      values: [therapistId, formatLocalDate(first), formatLocalDate(last)],
    }),
    () => pool.query<{ kind: string; starts_at: string; ends_at: string; expires_at: string | null }>({ name: 'availability_busy', text: BUSY, values: [therapistId, earliestStart, to, from] }),
    () => pool.query<RecurrenceRow>({ name: 'availability_recurrences', text: RECURRENCES, values: [therapistId] }),
  ] as const;
  // A pool runs them side by side; a tenant's transaction has one connection, so one after the other.
  const [rules, exceptions, busy, recurrences] = pool instanceof pg.Pool
    ? await Promise.all([queries[0](), queries[1](), queries[2](), queries[3]()])
    : [await queries[0](), await queries[1](), await queries[2](), await queries[3]()];
  return {
    rules: rules.rows.map((r): RuleFact => ({ dayOfWeek: r.day_of_week, startTime: r.start_time, endTime: r.end_time })),
    exceptions: exceptions.rows.map((e): ExceptionFact => ({ date: e.date, allDay: e.all_day, startTime: e.start_time, endTime: e.end_time, isAvailable: e.is_available })),
    busy: [
      ...busy.rows.map((b): BusyInterval => ({ kind: b.kind === 'session' ? 'session' : 'hold', startsAt: b.starts_at, endsAt: b.ends_at, expiresAt: b.expires_at })),
      ...reservationsOf(recurrences.rows, first, last),
    ],
  };
}
