/**
 * The vocabulary of availability, shared by the therapist decider (write side) and the availability
 * query (read side). Everything is JSON-friendly: local dates `YYYY-MM-DD`, local times `HH:MM`
 * (`24:00` allowed as an end), instants ISO-8601 UTC.
 */

/** A weekly block of availability: every `dayOfWeek` (0 = Sunday … 6 = Saturday) from start to end. */
export interface AvailabilityRule {
  readonly ruleId: string;
  readonly dayOfWeek: number;
  readonly startTime: string;
  readonly endTime: string;
}

/**
 * A date-specific override of the weekly rules (BR-AV-003): `isAvailable = false` blocks the whole
 * day (`allDay`) or a time range; `isAvailable = true` adds a range of extra availability.
 */
export interface AvailabilityException {
  readonly exceptionId: string;
  readonly date: string;
  readonly allDay: boolean;
  readonly startTime: string | null;
  readonly endTime: string | null;
  readonly isAvailable: boolean;
  readonly reason: string | null;
}

export interface BookingPolicies {
  readonly sessionDurationMinutes: number;
  readonly bufferBeforeMinutes: number;
  readonly bufferAfterMinutes: number;
  readonly minAdvanceBookingHours: number;
  readonly maxAdvanceBookingDays: number;
  /** IANA zone the rules and exceptions are written in. */
  readonly timezone: string;
  /** Distance between slot starts; null = session plus both buffers (back-to-back padded slots). */
  readonly slotStepMinutes: number | null;
}

export const DEFAULT_TIMEZONE = 'America/Argentina/Buenos_Aires';

/** What a therapist gets before changing any policy (spec 4.1, BR-BK-002/003). */
export function defaultBookingPolicies(timezone: string = DEFAULT_TIMEZONE): BookingPolicies {
  return {
    sessionDurationMinutes: 50,
    bufferBeforeMinutes: 0,
    bufferAfterMinutes: 10,
    minAdvanceBookingHours: 2,
    maxAdvanceBookingDays: 60,
    timezone,
    slotStepMinutes: null,
  };
}

/** Time already taken on the calendar. */
export interface BusyInterval {
  readonly startsAt: string;
  readonly endsAt: string;
  readonly kind: 'session' | 'hold';
  /** Holds only: when the hold stops blocking; null = blocks until released by an event. */
  readonly expiresAt: string | null;
}

export type RuleFact = Pick<AvailabilityRule, 'dayOfWeek' | 'startTime' | 'endTime'>;
export type ExceptionFact = Pick<AvailabilityException, 'date' | 'allDay' | 'startTime' | 'endTime' | 'isAvailable'>;

/** Everything slot availability depends on, besides the current time. */
export interface AvailabilityFacts {
  readonly policies: BookingPolicies;
  readonly rules: readonly RuleFact[];
  readonly exceptions: readonly ExceptionFact[];
  readonly busy: readonly BusyInterval[];
}

export type SlotStatus = 'available' | 'booked' | 'locked' | 'unavailable';

export interface Slot {
  /** Local wall-clock start, `HH:MM`. */
  readonly time: string;
  readonly startsAt: string;
  readonly endsAt: string;
  readonly status: SlotStatus;
}

export interface DaySlots {
  readonly date: string;
  readonly slots: readonly Slot[];
}

export interface SlotCalendar {
  readonly timezone: string;
  readonly days: readonly DaySlots[];
}

/** Inclusive range of local dates. */
export interface DateRange {
  readonly startDate: string;
  readonly endDate: string;
}
