import type { Knex } from 'knex';
import type { SlotCalendar } from '../domain/availability/availability-types.js';
import { computeSlots } from '../domain/availability/slots.js';
import type { Cache } from '../infra/cache/cache.js';
import { calendarHead, rangeFacts } from './calendar-facts.js';

export interface AvailabilityAnswer extends SlotCalendar {
  readonly therapistId: string;
  readonly start: string;
  readonly end: string;
  readonly freshness: {
    /** The availability projection's log position when the facts were read. */
    readonly position: { readonly commit: string; readonly prepare: string };
    /** Therapist stream revision of the newest fact reflected. */
    readonly calendarRevision: number;
    readonly cached: boolean;
    readonly computedAt: string;
  };
}

export interface AvailabilityQueryDeps {
  readonly db: Knex;
  readonly cache: Cache;
  readonly ttlSeconds: number;
}

/**
 * Slots with their status, computed from projected facts and `now` at query time: the rolling
 * notice window and expiring holds need no background rewrite, and only the facts are cached.
 */
export async function availabilityCalendar(
  deps: AvailabilityQueryDeps,
  therapist: { id: string } | { slug: string },
  range: { startDate: string; endDate: string },
  now: Date,
): Promise<AvailabilityAnswer> {
  const head = await calendarHead(deps.db, therapist);
  const { facts, cached } = await rangeFacts(deps.db, deps.cache, head, range, deps.ttlSeconds);
  const calendar = computeSlots(facts, range, now);
  return {
    therapistId: head.therapistId,
    timezone: calendar.timezone,
    start: range.startDate,
    end: range.endDate,
    days: calendar.days,
    freshness: { position: head.position, calendarRevision: head.calendarRevision, cached, computedAt: now.toISOString() },
  };
}
