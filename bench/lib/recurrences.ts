import { randomUUID } from 'node:crypto';
import { ruleText, type RecurrenceFrequency, type RecurrenceSchedule } from '../../domain/recurrence/recurrence-schedule.js';
import type { EventToAppend } from '../../infra/event-store/event-store.js';
import { BENCH_POLICIES, envelope, newTherapist, TIMEZONE, type TherapistSeed } from './events.js';

/**
 * Scenario 5's data: therapists working Monday–Friday 08:00–20:00, each with ten recurrences on
 * ten distinct times of day, all configured before a fixed daily run, and what that run must do,
 * computed here without the domain's rrule expansion (so the bench checks the feature, not itself).
 */

/**
 * The daily run's instant: Monday 2030-01-07 00:00 in Buenos Aires (UTC−3 all year, no DST since
 * 2009), as the job at the zone's midnight would run. Fixed, so every run expects the same counts.
 */
export const GENERATION_NOW = new Date('2030-01-07T03:00:00.000Z');
const TODAY = '2030-01-07';
const UTC_OFFSET = '-03:00';
/** RECURRING_ADVANCE_GENERATION_DAYS as the worker configures it: the run covers today … today + 7. */
export const ADVANCE_DAYS = 7;
export const RECURRENCES_PER_THERAPIST = 10;

const DAY_MS = 86_400_000;
const DURATION = BENCH_POLICIES.sessionDurationMinutes;
/** Session plus both buffers: 10 starts a day (08:00 … 18:30, the last ending 19:20) never touch each other's buffers. */
const GRID_MINUTES = DURATION + BENCH_POLICIES.bufferBeforeMinutes + BENCH_POLICIES.bufferAfterMinutes;
const FIRST_START = 8 * 60;
const REMINDER_DAYS = 3;
/** Four weekly, two biweekly, two monthly, two custom (every 2–4 days, so some land on a weekend). */
const FREQUENCIES: readonly RecurrenceFrequency[] = ['weekly', 'weekly', 'weekly', 'weekly', 'biweekly', 'biweekly', 'monthly', 'monthly', 'custom', 'custom'];

export interface SeededRecurrence {
  readonly recurrenceId: string;
  readonly schedule: RecurrenceSchedule;
  readonly reminders: { readonly enabled: boolean; readonly daysBefore: number };
}

export interface SeededTherapist {
  readonly therapist: TherapistSeed;
  readonly recurrences: readonly SeededRecurrence[];
  readonly events: readonly EventToAppend[];
}

/** What one run as of GENERATION_NOW must produce over every seeded therapist. */
export interface Expectation {
  /** `recurrenceId|date` of every session to generate. */
  readonly sessions: ReadonlySet<string>;
  readonly skipped: number;
  readonly remindersDue: number;
}

const addDays = (date: string, days: number) => new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
const weekday = (date: string) => new Date(`${date}T00:00:00Z`).getUTCDay();
const hhmm = (minutes: number) => `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;

/** Recurrence `i` of therapist `t`: the kinds rotate over weekdays and start days from one therapist to the next. */
export function recurrenceSchedule(t: number, i: number): RecurrenceSchedule {
  const frequency = FREQUENCIES[i % FREQUENCIES.length] ?? 'weekly';
  const spread = (t + i) % 5;
  const common = { localTime: hhmm(FIRST_START + i * GRID_MINUTES), durationMinutes: DURATION, endDate: null, timezone: TIMEZONE };
  switch (frequency) {
    case 'weekly':
    case 'biweekly':
      return { ...common, frequency, intervalDays: null, dayOfWeek: spread + 1, startDate: TODAY };
    case 'monthly':
      // A weekday of this week: the month's occurrence is in the window, the next one a month out.
      return { ...common, frequency, intervalDays: null, dayOfWeek: null, startDate: addDays(TODAY, spread) };
    case 'custom':
      return { ...common, frequency, intervalDays: 2 + ((t + i) % 3), dayOfWeek: null, startDate: addDays(TODAY, (t + i) % 4) };
  }
}

export function seedTherapists(count: number): SeededTherapist[] {
  const configuredAt = new Date(GENERATION_NOW.getTime() - DAY_MS).toISOString();
  const registeredAt = new Date(GENERATION_NOW.getTime() - 30 * DAY_MS).toISOString();
  return Array.from({ length: count }, (_, t) => {
    const therapist = newTherapist(`recurring${t}`);
    const recurrences = Array.from({ length: RECURRENCES_PER_THERAPIST }, (_, i) => ({
      recurrenceId: randomUUID(),
      schedule: recurrenceSchedule(t, i),
      // Two in ten without reminders, so the reminder pass also meets sessions it must leave alone.
      reminders: { enabled: i % 5 !== 4, daysBefore: REMINDER_DAYS },
    }));
    const events = [
      envelope({
        type: 'TherapistRegistered',
        data: { therapistId: therapist.id, name: `Lic. ${therapist.slug}`, slug: therapist.slug, email: `${therapist.slug}@bench.example`, timezone: TIMEZONE, sessionPrice: 15000, currency: 'ARS', registeredAt },
      }),
      envelope({ type: 'WeeklyScheduleDefined', data: { rules: [1, 2, 3, 4, 5].map((dayOfWeek) => ({ ruleId: randomUUID(), dayOfWeek, startTime: '08:00', endTime: '20:00' })) } }),
      envelope({ type: 'BookingPoliciesChanged', data: BENCH_POLICIES }),
      ...recurrences.map((r) =>
        envelope({
          type: 'RecurrenceConfigured',
          // Patients need not exist on the therapist stream: generation only carries the id.
          data: { recurrenceId: r.recurrenceId, patientId: randomUUID(), ...r.schedule, price: 15000, reminders: r.reminders, rule: ruleText(r.schedule), configuredAt },
        }),
      ),
    ];
    return { therapist, recurrences, events };
  });
}

/** The schedule's local dates from its start through `until`, expanded by hand (start dates are never before today here). */
function datesThrough(s: RecurrenceSchedule, until: string): string[] {
  const dates: string[] = [];
  const stepped = (first: string, step: number) => {
    for (let d = first; d <= until; d = addDays(d, step)) dates.push(d);
  };
  switch (s.frequency) {
    case 'weekly':
    case 'biweekly': {
      const first = addDays(s.startDate, ((s.dayOfWeek ?? weekday(s.startDate)) - weekday(s.startDate) + 7) % 7);
      stepped(first, s.frequency === 'weekly' ? 7 : 14);
      break;
    }
    case 'monthly': {
      const dayOfMonth = s.startDate.slice(8);
      for (let d = s.startDate; d <= until; d = addDays(d, 1)) if (d.slice(8) === dayOfMonth) dates.push(d);
      break;
    }
    case 'custom':
      stepped(s.startDate, s.intervalDays ?? 1);
      break;
  }
  return dates;
}

/**
 * BR-RS-001/002: every occurrence from today through today + ADVANCE_DAYS is generated, unless it
 * falls outside the weekly rules (a weekend: skipped); BR-RS-007: a generated session with
 * reminders on, starting within REMINDER_DAYS of the run, has its reminder recorded. Nothing else
 * can skip: the ten times of a day keep their buffers apart and no exception or booking exists.
 */
export function expectedRun(seeded: readonly SeededTherapist[]): Expectation {
  const until = addDays(TODAY, ADVANCE_DAYS);
  const sessions = new Set<string>();
  let skipped = 0;
  let remindersDue = 0;
  for (const { recurrences } of seeded) {
    for (const r of recurrences) {
      for (const date of datesThrough(r.schedule, until)) {
        const day = weekday(date);
        if (day === 0 || day === 6) {
          skipped++;
          continue;
        }
        sessions.add(`${r.recurrenceId}|${date}`);
        const startsAt = Date.parse(`${date}T${r.schedule.localTime}:00${UTC_OFFSET}`);
        if (r.reminders.enabled && startsAt > GENERATION_NOW.getTime() && startsAt - r.reminders.daysBefore * DAY_MS <= GENERATION_NOW.getTime()) remindersDue++;
      }
    }
  }
  return { sessions, skipped, remindersDue };
}
