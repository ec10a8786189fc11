import { DateTime } from 'luxon';
import type { EventToAppend } from '../../infra/event-store/event-store.js';
import { exception, newTherapist, openCalendar, session, TIMEZONE, type TherapistSeed } from './events.js';

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

export interface QueriedTherapist {
  readonly therapist: TherapistSeed;
  /** The 7 local days the availability query asks for: tomorrow to a week from today. */
  readonly range: { readonly start: string; readonly end: string };
  readonly events: readonly EventToAppend[];
  readonly pastSessions: number;
  readonly sessionsInRange: number;
}

/** The availability query's path for this therapist and range. */
export function availabilityPath(q: QueriedTherapist): string {
  return `/api/public/availability?therapistId=${q.therapist.id}&start=${q.range.start}&end=${q.range.end}`;
}

/**
 * Scenario 1's therapist: two blocks a day (09–13, 14–20), 10-minute buffers either side of a
 * 50-minute session, five exceptions in the queried week (one whole day off, three shortened
 * mornings, one extra evening), `past` completed sessions before today and `inRange` sessions spread
 * evenly over the queried 7 days.
 */
export function queriedTherapist(nowMs: number, past: number, inRange: number): QueriedTherapist {
  const therapist = newTherapist('queried');
  const tomorrow = DateTime.fromMillis(nowMs, { zone: TIMEZONE }).startOf('day').plus({ days: 1 });
  const day = (offset: number) => tomorrow.plus({ days: offset }).toISODate() ?? '';
  const events: EventToAppend[] = [...openCalendar(therapist, nowMs - (past / 6 + 30) * DAY_MS)];
  events.push(exception(day(5)));
  for (const offset of [0, 2, 4]) events.push(exception(day(offset), { start: '09:00', end: '10:30' }));
  events.push(exception(day(1), { start: '20:00', end: '22:00' }, true));
  // Past sessions every 4 hours going back from yesterday: about six a day, a few years of practice.
  const yesterday = tomorrow.minus({ days: 2 }).set({ hour: 10 }).toMillis();
  for (let i = past - 1; i >= 0; i--) events.push(...session(yesterday - i * 4 * 60 * MINUTE_MS, { completed: true }));
  const spacing = (7 * DAY_MS) / Math.max(1, inRange);
  for (let i = 0; i < inRange; i++) events.push(...session(tomorrow.toMillis() + Math.floor(i * spacing)));
  return { therapist, range: { start: day(0), end: day(6) }, events, pastSessions: past, sessionsInRange: inRange };
}
