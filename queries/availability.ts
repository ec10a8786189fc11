import { createHash } from 'node:crypto';
import { computeSlots } from '../domain/availability/slots.js';
import type { CalendarBusyLookup } from '../integrations/calendar-busy.js';
import { calendarValidUntil } from '../domain/availability/slot-validity.js';
import { formatLocalDate, localDayOf, timeZone } from '../domain/availability/time.js';
import type { Cache } from '../infra/cache/cache.js';
import type { Queryable } from '../infra/event-store/postgres-event-store-sql.js';
import type { AnswerCache } from './answer-cache.js';
import { calendarHead, rangeFacts } from './calendar-facts.js';

export interface AvailabilityQueryDeps {
  /** Plain pg pool for the per-request head query. */
  readonly pool: Queryable;
  /** Facts by calendar revision: Redis when configured, shared by every API process. */
  readonly cache: Cache;
  /** This process's computed answers; undefined when caching is off. */
  readonly answers: AnswerCache | undefined;
  readonly ttlSeconds: number;
  /** Busy time from the therapists' own calendars; absent when no calendar integration can have any. */
  readonly calendarBusy?: CalendarBusyLookup;
}

const DAY_MS = 86_400_000;

/**
 * The public availability answer as JSON: `{ freshness, therapistId, timezone, start, end, days }`.
 * Slots and their status are computed from projected facts and `now`, so the rolling notice window
 * and expiring holds need no background rewrite. Cached twice, both keyed on the therapist's calendar
 * revision (bumped by every projected change, so a change is seen by the very next query): the facts
 * of a range, and the computed answer for as long as its statuses cannot change with time.
 * Without a range, the next 7 days from today in the therapist's zone.
 */
export async function availabilityJson(
  deps: AvailabilityQueryDeps,
  therapist: { id: string } | { slug: string },
  asked: { startDate: string; endDate: string } | undefined,
  now: Date,
): Promise<string> {
  const head = await calendarHead(deps.pool, therapist);
  const nowMs = now.getTime();
  const range = asked ?? nextWeek(head.policies.timezone, nowMs);
  // A day either side: the range's dates are local to the therapist, the instants are not.
  const external = deps.calendarBusy
    ? await deps.calendarBusy(head.therapistId, head.policies.timezone, { from: new Date(Date.parse(`${range.startDate}T00:00:00Z`) - DAY_MS), to: new Date(Date.parse(`${range.endDate}T00:00:00Z`) + 2 * DAY_MS) })
    : undefined;
  const calendar = external ? { calendar: external.freshness } : {};
  const freshness = (cached: boolean) => JSON.stringify({ position: head.position, calendarRevision: head.calendarRevision, cached, ...calendar });
  // The answer depends on the external busy times too: the same ones are the same answer.
  const externalKey = external && external.busy.length > 0 ? `:${createHash('sha256').update(JSON.stringify(external.busy)).digest('base64url').slice(0, 16)}` : '';
  const key = `${head.therapistId}:${head.calendarRevision}:${range.startDate}:${range.endDate}${externalKey}`;
  const answered = deps.answers?.get(key, nowMs);
  if (answered !== undefined) return `{"freshness":${freshness(true)},${answered}`;

  const ranged = await rangeFacts(deps.pool, deps.cache, head, range, deps.ttlSeconds);
  const { cached } = ranged;
  const facts = external && external.busy.length > 0 ? { ...ranged.facts, busy: [...ranged.facts.busy, ...external.busy] } : ranged.facts;
  const slots = computeSlots(facts, range, now);
  // Everything after the opening brace: the freshness goes in front of it per request.
  const rest = JSON.stringify({ therapistId: head.therapistId, timezone: slots.timezone, start: range.startDate, end: range.endDate, days: slots.days }).slice(1);
  deps.answers?.set(key, rest, calendarValidUntil(facts, slots, nowMs, nowMs + deps.ttlSeconds * 1000));
  return `{"freshness":${freshness(cached)},${rest}`;
}

export const DEFAULT_RANGE_DAYS = 7;

function nextWeek(zone: string, nowMs: number): { startDate: string; endDate: string } {
  const today = localDayOf(timeZone(zone), nowMs);
  return { startDate: formatLocalDate(today), endDate: formatLocalDate(today + DEFAULT_RANGE_DAYS - 1) };
}
