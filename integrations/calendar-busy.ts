import { DateTime } from 'luxon';
import type { Logger } from 'pino';
import type { BusyInterval } from '../domain/availability/availability-types.js';
import type { KeyStore } from '../infra/crypto/key-store.js';
import type { EventStore } from '../infra/event-store/event-store.js';
import { describeError } from '../infra/logging/safe-error.js';
import { calendarGrantOf } from './calendar-grants.js';
import type { CalendarBusy, CalendarGateway, CalendarGrant } from './ports.js';

/** How the busy times from the therapist's own calendar were obtained, for the availability's freshness. */
export interface CalendarBusyFreshness {
  readonly source: 'google';
  /** live: asked now; cached: asked within FRESH_MS; stale: Google failed, the last answer is used; unavailable: Google failed, none known. */
  readonly state: 'live' | 'cached' | 'stale' | 'unavailable';
  readonly asOf: string | null;
}

export interface CalendarBusyAnswer {
  readonly busy: readonly BusyInterval[];
  readonly freshness: CalendarBusyFreshness;
}

export type CalendarBusyLookup = (therapistId: string, timeZone: string, range: { readonly from: Date; readonly to: Date }) => Promise<CalendarBusyAnswer | undefined>;

/** Google is asked again after this long (spec 6.4 strategy 4 "cached briefly"). */
const FRESH_MS = 60_000;
/** After a failure, the last answer stands in for this long at most. */
const STALE_MS = 6 * 3_600_000;
/** Whether a therapist has a calendar connected is looked up again after this long. */
const CONNECTION_MS = 30_000;
/** A patient waits this long at most for Google before the answer goes from what is known. */
const LOOKUP_BUDGET_MS = 2_500;
const MAX_ENTRIES = 2_000;
/** After Google failed for a therapist, it is asked again no sooner than this. */
const RETRY_AFTER_FAILURE_MS = 15_000;

function fallback(known: { busy: CalendarBusy; at: number } | undefined, zone: string, range: { from: Date; to: Date }, now: number): CalendarBusyAnswer {
  if (known && now - known.at < STALE_MS) return answer(known.busy, zone, range, 'stale', known.at);
  return { busy: [], freshness: { source: 'google', state: 'unavailable', asOf: null } };
}

/**
 * Busy time from the therapists' Google calendars (BR-AV-005 step 3), for the public availability
 * and booking decisions. Asked for the range, kept a minute; when Google cannot be reached in time
 * the last answer is used (and the freshness says so), or none: a Google outage never stops booking.
 * The local calendar has no events but ours, so with the local driver nothing is asked at all.
 */
export class CalendarBusyTimes {
  private readonly answers = new Map<string, { busy: CalendarBusy; at: number }>();
  private readonly grants = new Map<string, { grant: CalendarGrant | undefined; at: number }>();
  private readonly failures = new Map<string, number>();

  constructor(private readonly deps: { store: EventStore; keys: KeyStore; calendar: CalendarGateway; logger: Logger; now: () => number }) {}

  readonly lookup: CalendarBusyLookup = async (therapistId, zone, range) => {
    if (this.deps.calendar.driver === 'local') return undefined;
    const key = `${therapistId}:${range.from.toISOString()}:${range.to.toISOString()}`;
    const known = this.answers.get(key);
    const now = this.deps.now();
    if (known && now - known.at < FRESH_MS) return answer(known.busy, zone, range, 'cached', known.at);
    // Google failed a moment ago: patients are not kept waiting for it again and again.
    const failedAt = this.failures.get(therapistId);
    if (failedAt !== undefined && now - failedAt < RETRY_AFTER_FAILURE_MS) return fallback(known, zone, range, now);
    try {
      // Inside: a store or key store that fails makes the answer go without Google, never a 500.
      const grant = await this.grantOf(therapistId);
      if (!grant) return undefined;
      // Our own sessions' events are known by their ids' shape (isSessionEventId), whichever sessions they are.
      const busy = await withBudget(this.deps.calendar.busy(grant, { ...range, timeZone: zone }, new Set()), LOOKUP_BUDGET_MS);
      this.remember(key, busy, now);
      this.failures.delete(therapistId);
      return answer(busy, zone, range, 'live', now);
    } catch (error) {
      this.deps.logger.warn({ therapistId, reason: describeError(error) }, 'could not read busy times from Google Calendar; answering from what is known');
      this.failures.set(therapistId, now);
      return fallback(known, zone, range, now);
    }
  };

  /** A connect or disconnect is seen at once by this process (the routes call it), by others within CONNECTION_MS. */
  forget(therapistId: string): void {
    this.grants.delete(therapistId);
    this.failures.delete(therapistId);
    for (const key of this.answers.keys()) if (key.startsWith(`${therapistId}:`)) this.answers.delete(key);
  }

  private async grantOf(therapistId: string): Promise<CalendarGrant | undefined> {
    const known = this.grants.get(therapistId);
    const now = this.deps.now();
    if (known && now - known.at < CONNECTION_MS) return known.grant;
    const grant = await calendarGrantOf(this.deps, therapistId);
    this.grants.set(therapistId, { grant, at: now });
    return grant;
  }

  private remember(key: string, busy: CalendarBusy, at: number): void {
    if (this.answers.size >= MAX_ENTRIES) {
      const oldest = this.answers.keys().next().value;
      if (oldest !== undefined) this.answers.delete(oldest);
    }
    this.answers.set(key, { busy, at });
  }
}

/** Timed events as they are; all-day events block their whole local day, in the therapist's zone. */
function answer(busy: CalendarBusy, zone: string, range: { from: Date; to: Date }, state: CalendarBusyFreshness['state'], at: number): CalendarBusyAnswer {
  const intervals: BusyInterval[] = busy.intervals.map((i) => ({ startsAt: i.startsAt, endsAt: i.endsAt, kind: 'session', expiresAt: null }));
  for (const date of busy.allDayDates) {
    const start = DateTime.fromISO(date, { zone }).startOf('day');
    intervals.push({ startsAt: start.toUTC().toISO() ?? '', endsAt: start.plus({ days: 1 }).toUTC().toISO() ?? '', kind: 'session', expiresAt: null });
  }
  const inRange = intervals.filter((i) => Date.parse(i.endsAt) > range.from.getTime() && Date.parse(i.startsAt) < range.to.getTime());
  return { busy: inRange, freshness: { source: 'google', state, asOf: new Date(at).toISOString() } };
}

async function withBudget<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
