import { describe, expect, it } from 'vitest';
import type { AvailabilityRule } from '../../domain/availability/availability-types.js';
import { ruleText, type RecurrenceSchedule } from '../../domain/recurrence/recurrence-schedule.js';
import { fold } from '../../domain/shared/decider.js';
import { Conflict, NotFound, ValidationFailed } from '../../domain/shared/domain-error.js';
import { occurrenceSessionId } from '../../domain/therapist/decide-generation.js';
import type {
  ChangeRecurrenceState,
  ConfigureRecurrence,
  GenerateRecurringSessions,
  ModifyRecurrence,
  RecordPaymentReminderDue,
  RecordSessionPayment,
  RequestBooking,
  ScheduleInput,
  ScheduleSession,
} from '../../domain/therapist/therapist-commands.js';
import { therapistDecider } from '../../domain/therapist/therapist-decider.js';
import { therapistEventCodec, type SkipReason, type TherapistEvent } from '../../domain/therapist/therapist-events.js';
import type { RegisteredTherapist } from '../../domain/therapist/therapist-state.js';
import { specOf } from '../support/decider-spec.js';
import { event } from '../support/therapist-history.js';

/*
 * Recurring sessions on the therapist's calendar (spec 4.4, BR-RS-001..007, EC-AV-004, 6.3):
 * configuring, modifying, pausing, resuming, stopping and completing a recurrence; the daily
 * generation run with every reason an occurrence is skipped; the slots a recurrence holds before its
 * sessions are generated; manual sessions, session payments and payment reminders. Every emitted
 * event is also checked to survive the stream codec (JSON + zod schema).
 *
 * Calendar of these specifications: a therapist in Buenos Aires (UTC−3, no DST) who works Mondays
 * 09:00–12:00 and Wednesdays 14:00–18:00, with the default policies (50-minute sessions + 10 minutes
 * of buffer after; 60 days of horizon). "Now" is Wednesday 2026-03-04 10:00 local (13:00 UTC).
 * Recurrence rec-1: Juan, every Monday 09:00 (12:00 UTC), 50 minutes, ARS 15 000, from Monday
 * 2026-03-09, payment reminders 3 days before. The generation run happens at local midnight and
 * generates up to 7 days ahead (RECURRING_ADVANCE_GENERATION_DAYS).
 */

const ZONE = 'America/Argentina/Buenos_Aires';
const NOW = new Date('2026-03-04T13:00:00.000Z');
const ADVANCE_DAYS = 7;
const MINUTE_MS = 60_000;

/** A Buenos Aires wall-clock time as an instant. */
const local = (date: string, time = '00:00') => new Date(`${date}T${time}:00-03:00`);
/** The run of the daily job: local midnight of `date`. */
const midnight = (date: string) => local(date);
const minutesAfter = (instant: Date, minutes: number) => new Date(instant.getTime() + minutes * MINUTE_MS);

/** The UTC instants of a session at a Buenos Aires wall-clock time. */
function slotOf(date: string, time: string, durationMinutes = 50): { startsAt: string; endsAt: string } {
  const start = local(date, time);
  return { startsAt: start.toISOString(), endsAt: minutesAfter(start, durationMinutes).toISOString() };
}

function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

const spec = specOf(therapistDecider, therapistEventCodec);

const registeredIn = (timezone: string, registeredAt = '2026-03-01T12:00:00.000Z') =>
  event('TherapistRegistered', { therapistId: 'therapist-ana', name: 'Lic. Ana Pérez', slug: 'ana-perez', email: 'ana@example.com', timezone, sessionPrice: 15000, currency: 'ARS', registeredAt });
const registered = registeredIn(ZONE);
const mondayMorning: AvailabilityRule = { ruleId: 'mon-am', dayOfWeek: 1, startTime: '09:00', endTime: '12:00' };
const wednesdayAfternoon: AvailabilityRule = { ruleId: 'wed-pm', dayOfWeek: 3, startTime: '14:00', endTime: '18:00' };
const calendar: readonly TherapistEvent[] = [registered, event('WeeklyScheduleDefined', { rules: [mondayMorning, wednesdayAfternoon] })];

/* ---------- Commands ---------- */

const MONDAYS_AT_NINE: ScheduleInput = { frequency: 'weekly', intervalDays: null, dayOfWeek: 1, localTime: '09:00', durationMinutes: 50, startDate: '2026-03-09', endDate: null };
const REMINDERS = { enabled: true, daysBefore: 3 } as const;

interface Settings {
  readonly recurrenceId?: string;
  readonly patientId?: string;
  readonly schedule?: Partial<ScheduleInput>;
  readonly price?: number;
  readonly reminders?: { readonly enabled: boolean; readonly daysBefore: number };
  readonly now?: Date;
  /** Events only: the therapist's zone, which the decider fills in. */
  readonly timezone?: string;
}

function configure({ recurrenceId = 'rec-1', patientId = 'pa-juan', schedule = {}, price = 15000, reminders = REMINDERS, now = NOW }: Settings = {}): ConfigureRecurrence {
  return { type: 'ConfigureRecurrence', recurrenceId, patientId, schedule: { ...MONDAYS_AT_NINE, ...schedule }, price, reminders, now };
}

function modify(now: Date, { schedule = {}, price = 15000, reminders = REMINDERS, applyToPending = false }: Settings & { applyToPending?: boolean } = {}): ModifyRecurrence {
  return { type: 'ModifyRecurrence', recurrenceId: 'rec-1', schedule: { ...MONDAYS_AT_NINE, ...schedule }, price, reminders, applyToPending, now };
}

const change = (type: ChangeRecurrenceState['type'], now: Date, recurrenceId = 'rec-1'): ChangeRecurrenceState => ({ type, recurrenceId, now });
const generate = (now: Date): GenerateRecurringSessions => ({ type: 'GenerateRecurringSessions', advanceDays: ADVANCE_DAYS, now });
const recordPayment = (sessionId: string, now: Date): RecordSessionPayment => ({ type: 'RecordSessionPayment', sessionId, method: 'bank_transfer', reference: 'TRX-777', now });
const reminderDue = (sessionId: string, now: Date): RecordPaymentReminderDue => ({ type: 'RecordPaymentReminderDue', sessionId, now });

function scheduleSession(date: string, time: string, { sessionId = 'se-manual', patientId = 'pa-maria', durationMinutes = 50, now = NOW } = {}): ScheduleSession {
  return { type: 'ScheduleSession', sessionId, patientId, date, time, durationMinutes, price: 18000, now };
}

/** The contact as the domain sees it: sealed by the caller, opaque here. */
const SEALED = { keyId: '00000000-0000-4000-8000-00000000c0de', ciphertext: 'c2VhbGVk' } as const;

function requestBooking(date: string, time: string, now: Date, bookingId = 'bk-1'): RequestBooking {
  return {
    type: 'RequestBooking',
    bookingId,
    contact: SEALED,
    isNewPatient: true,
    paymentMethod: 'bank_transfer',
    requestedDate: date,
    requestedTime: time,
    holdMinutes: 10,
    expirationMinutes: 60,
    patientTokenHash: `hash-${bookingId}`,
    calendarBusy: [],
    now,
  };
}

/* ---------- Events ---------- */

function scheduleOf(input: Partial<ScheduleInput> = {}, timezone = ZONE): RecurrenceSchedule {
  return { ...MONDAYS_AT_NINE, ...input, timezone };
}

/** What ConfigureRecurrence decides for the same settings. */
function configured({ recurrenceId = 'rec-1', patientId = 'pa-juan', schedule = {}, price = 15000, reminders = REMINDERS, now = NOW, timezone = ZONE }: Settings = {}): TherapistEvent {
  const full = scheduleOf(schedule, timezone);
  return event('RecurrenceConfigured', { recurrenceId, patientId, ...full, price, reminders, rule: ruleText(full), configuredAt: now.toISOString() });
}

interface Occurrence {
  readonly recurrenceId?: string;
  readonly patientId?: string;
  readonly time?: string;
  readonly durationMinutes?: number;
  readonly price?: number;
}

/** The session a run generates for an occurrence: pending payment, linked to its recurrence, with the occurrence's own id. */
function generated(date: string, { recurrenceId = 'rec-1', patientId = 'pa-juan', time = '09:00', durationMinutes = 50, price = 15000 }: Occurrence = {}): TherapistEvent {
  return event('SessionScheduled', {
    sessionId: occurrenceSessionId(recurrenceId, date),
    patientId,
    bookingId: null,
    recurrenceId,
    ...slotOf(date, time, durationMinutes),
    durationMinutes,
    price,
    paymentStatus: 'pending',
    source: 'recurrence',
    occurrenceDate: date,
  });
}

function skipped(date: string, reasons: SkipReason[], at: Date, { exceptionIds = [] as string[], time = '09:00' } = {}): TherapistEvent {
  return event('RecurringSessionSkipped', { recurrenceId: 'rec-1', patientId: 'pa-juan', occurrenceDate: date, ...slotOf(date, time), reasons, exceptionIds, skippedAt: at.toISOString() });
}

function manualSession(date: string, time: string, { sessionId = 'se-manual', durationMinutes = 50 } = {}): TherapistEvent {
  return event('SessionScheduled', {
    sessionId,
    patientId: 'pa-maria',
    bookingId: null,
    recurrenceId: null,
    ...slotOf(date, time, durationMinutes),
    durationMinutes,
    price: 18000,
    paymentStatus: 'pending',
    source: 'manual',
    occurrenceDate: null,
  });
}

const paid = (sessionId: string, at: Date) => event('SessionPaymentReceived', { sessionId, method: 'bank_transfer', reference: 'TRX-777', receivedAt: at.toISOString() });

/** rec-1 configured on Wednesday 2026-03-04, before any run. */
const withRecurrence: readonly TherapistEvent[] = [...calendar, configured()];
/** …and the run of Monday 2026-03-09: the sessions of 03-09 and 03-16 exist (pending). */
const afterMondayRun: readonly TherapistEvent[] = [...withRecurrence, generated('2026-03-09'), generated('2026-03-16')];

/** The events the daily job decides at each local midnight from `first` to `last`, appended to `history`. */
function runDaily(history: readonly TherapistEvent[], first: string, last: string): TherapistEvent[] {
  const events = [...history];
  for (let date = first; date <= last; date = addDays(date, 1)) {
    events.push(...therapistDecider.decide(generate(midnight(date)), fold(therapistDecider, events)));
  }
  return events;
}

function stateOf(history: readonly TherapistEvent[]): RegisteredTherapist {
  const state = fold(therapistDecider, history);
  if (state.status !== 'registered') throw new Error('Expected a registered therapist');
  return state;
}

const sessionsOf = (events: readonly TherapistEvent[]) =>
  events.flatMap((e) => (e.type === 'SessionScheduled' && e.data.recurrenceId !== null ? [e.data.occurrenceDate] : []));
const skipsOf = (events: readonly TherapistEvent[]) => events.flatMap((e) => (e.type === 'RecurringSessionSkipped' ? [[e.data.occurrenceDate, ...e.data.reasons].join(' ')] : []));

/* ---------- Specifications ---------- */

describe('ConfigureRecurrence', () => {
  it('records the recurrence in the therapist’s zone, with its RFC 5545 rule', () => {
    spec
      .given(calendar)
      .when(configure())
      .then([
        event('RecurrenceConfigured', {
          recurrenceId: 'rec-1',
          patientId: 'pa-juan',
          frequency: 'weekly',
          intervalDays: null,
          dayOfWeek: 1,
          localTime: '09:00',
          durationMinutes: 50,
          startDate: '2026-03-09',
          endDate: null,
          timezone: ZONE,
          price: 15000,
          reminders: { enabled: true, daysBefore: 3 },
          rule: 'DTSTART:20260309T090000\nRRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=MO',
          configuredAt: '2026-03-04T13:00:00.000Z',
        }),
      ]);
  });

  it('writes the rule as a wall-clock time, not as UTC (09:00 in Buenos Aires is not 09:00Z)', () => {
    const [recorded] = spec.given(calendar).when(configure({ schedule: { endDate: '2026-06-29' } })).events();
    const rule = recorded?.type === 'RecurrenceConfigured' ? recorded.data.rule : '';
    // An RFC 5545 date-time ending in Z is UTC: an auditor would read 06:00 local.
    expect(rule).not.toMatch(/T\d{6}Z/);
    expect(rule).toContain('UNTIL=20260629T235959');
  });

  it('keeps each frequency as its rule: biweekly (INTERVAL=2), monthly on its day, custom every N days (DAILY;INTERVAL=N)', () => {
    const ruleFor = (schedule: Partial<ScheduleInput>) => {
      const [recorded] = spec.given(calendar).when(configure({ schedule })).events();
      return recorded?.type === 'RecurrenceConfigured' ? recorded.data.rule.split('\n')[1] : undefined;
    };
    expect(ruleFor({ frequency: 'biweekly' })).toBe('RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=MO');
    expect(ruleFor({ frequency: 'monthly', dayOfWeek: null, startDate: '2026-03-10' })).toBe('RRULE:FREQ=MONTHLY;BYMONTHDAY=10');
    // The 31st: the month's last day in a shorter month (the last of the 28th…31st that exist).
    expect(ruleFor({ frequency: 'monthly', dayOfWeek: null, startDate: '2026-03-31' })).toBe('RRULE:FREQ=MONTHLY;BYMONTHDAY=28,29,30,31;BYSETPOS=-1');
    expect(ruleFor({ frequency: 'custom', dayOfWeek: null, intervalDays: 10 })).toBe('RRULE:FREQ=DAILY;INTERVAL=10');
  });

  it('starts a weekly or biweekly rule on the first such weekday on or after the start date (its DTSTART is the first session)', () => {
    // Biweekly on Mondays from Saturday 03-07: the first session is Monday 03-09, two days later (rrule
    // alone, counting weeks from Monday, made it 03-16 when DTSTART was the Saturday).
    const biweekly = { frequency: 'biweekly', startDate: '2026-03-07' } as const;
    const [recorded] = spec.given(calendar).when(configure({ schedule: biweekly })).events();
    expect(recorded?.data).toMatchObject({ startDate: '2026-03-07', rule: 'DTSTART:20260309T090000\nRRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=MO' });
    spec.given([...calendar, configured({ schedule: biweekly })]).when(generate(midnight('2026-03-07'))).then([generated('2026-03-09')]);
  });

  it('records nothing for a request retried with the same recurrence id and settings', () => {
    spec.given(withRecurrence).when(configure({ now: minutesAfter(NOW, 1) })).then([]);
  });

  it('refuses the same recurrence id with other settings (Conflict recurrence_exists)', () => {
    spec.given(withRecurrence).when(configure({ price: 20000 })).thenThrows(Conflict, { code: 'recurrence_exists', details: { recurrenceId: 'rec-1' } });
    spec.given(withRecurrence).when(configure({ patientId: 'pa-otro' })).thenThrows(Conflict, { code: 'recurrence_exists' });
  });

  describe('refuses invalid combinations field by field (ValidationFailed)', () => {
    const refuses = (schedule: Partial<ScheduleInput>, field: string) =>
      spec.given(calendar).when(configure({ schedule })).thenThrows(ValidationFailed, { issues: [expect.objectContaining({ field }) as unknown] });

    it('a custom frequency without its number of days', () => refuses({ frequency: 'custom', dayOfWeek: null, intervalDays: null }, 'intervalDays'));
    it('a number of days on a weekly frequency', () => refuses({ intervalDays: 3 }, 'intervalDays'));
    it('a day of the week on a monthly frequency', () => refuses({ frequency: 'monthly', dayOfWeek: 1 }, 'dayOfWeek'));
    it('an end date before the start date', () => refuses({ endDate: '2026-03-08' }, 'endDate'));
    it('an end date before the first session (Monday sessions from a Tuesday to the Sunday after)', () => refuses({ startDate: '2026-03-10', endDate: '2026-03-15' }, 'endDate'));
    it('a start date in the past (today is 2026-03-04)', () => refuses({ startDate: '2026-03-03' }, 'startDate'));
    it('a session crossing midnight (23:30 for 50 minutes)', () => refuses({ localTime: '23:30' }, 'durationMinutes'));

    it('naming every offending field at once', () => {
      spec
        .given(calendar)
        .when(configure({ schedule: { frequency: 'monthly', dayOfWeek: 1, intervalDays: 3 } }))
        .thenThrows(ValidationFailed, { issues: [expect.objectContaining({ field: 'intervalDays' }) as unknown, expect.objectContaining({ field: 'dayOfWeek' }) as unknown] });
    });
  });

  it('accepts a start date of today', () => {
    spec.given(calendar).when(configure({ schedule: { startDate: '2026-03-04', dayOfWeek: 3, localTime: '15:00' } })).then([configured({ schedule: { startDate: '2026-03-04', dayOfWeek: 3, localTime: '15:00' } })]);
  });

  describe('refuses a second live recurrence holding the same time (Conflict recurrence_clash)', () => {
    it('even for another patient, naming the recurrence and the first instant they share', () => {
      spec
        .given(withRecurrence)
        .when(configure({ recurrenceId: 'rec-2', patientId: 'pa-maria', schedule: { frequency: 'biweekly', localTime: '09:30', startDate: '2026-03-16' } }))
        .thenThrows(Conflict, { code: 'recurrence_clash', details: { recurrenceId: 'rec-1', startsAt: '2026-03-16T12:30:00.000Z' } });
    });

    it('but not once the other recurrence is stopped', () => {
      spec
        .given([...withRecurrence, event('RecurrenceStopped', { recurrenceId: 'rec-1', stoppedAt: NOW.toISOString() })])
        .when(configure({ recurrenceId: 'rec-2', patientId: 'pa-maria' }))
        .then([configured({ recurrenceId: 'rec-2', patientId: 'pa-maria' })]);
    });

    it('and not for the hour after (10:00 next to 09:00–09:50)', () => {
      spec.given(withRecurrence).when(configure({ recurrenceId: 'rec-2', schedule: { localTime: '10:00' } })).then([configured({ recurrenceId: 'rec-2', schedule: { localTime: '10:00' } })]);
    });
  });
});

describe('GenerateRecurringSessions', () => {
  it('generates every occurrence from today to 7 days ahead as a pending session linked to its recurrence (BR-RS-001)', () => {
    spec.given(withRecurrence).when(generate(midnight('2026-03-09'))).then([generated('2026-03-09'), generated('2026-03-16')]);
  });

  it('generates the occurrence 7 days ahead on the day it enters the window, and nothing before its start date', () => {
    // Thursday 03-05: the window reaches Thursday 03-12, so only Monday 03-09 is due.
    spec.given(withRecurrence).when(generate(midnight('2026-03-05'))).then([generated('2026-03-09')]);
    // From 03-16 on: Monday 03-09, inside the window, is before its start.
    spec.given([...calendar, configured({ schedule: { startDate: '2026-03-16' } })]).when(generate(midnight('2026-03-09'))).then([generated('2026-03-16')]);
  });

  it('gives each occurrence a deterministic session id: the same for every run, another for another date or recurrence', () => {
    const recurrenceId = '6f1c2a9e-3b7d-4c1e-9a2f-0d5e8b7c6a41';
    expect(occurrenceSessionId(recurrenceId, '2026-03-16')).toBe(occurrenceSessionId(recurrenceId, '2026-03-16'));
    expect(occurrenceSessionId(recurrenceId, '2026-03-16')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const ids = new Set([recurrenceId, ...['2026-03-09', '2026-03-16', '2027-03-16'].map((date) => occurrenceSessionId(recurrenceId, date)), occurrenceSessionId('7a2d3b0f-4c8e-4d2f-8b30-1e6f9c8d7b52', '2026-03-16')]);
    expect(ids.size).toBe(5);
    const [first] = spec.given(withRecurrence).when(generate(midnight('2026-03-05'))).events();
    expect(first?.data).toMatchObject({ sessionId: occurrenceSessionId('rec-1', '2026-03-09') });
  });

  describe('is idempotent', () => {
    it('a second run the same day emits nothing', () => {
      spec.given(afterMondayRun).when(generate(local('2026-03-09', '00:05'))).then([]);
    });

    it('the next day’s run emits only what entered the window', () => {
      spec.given(afterMondayRun).when(generate(midnight('2026-03-10'))).then([]);
      spec.given(afterMondayRun).when(generate(midnight('2026-03-16'))).then([generated('2026-03-23')]);
    });

    it('sixty days of daily runs generate each Monday exactly once', () => {
      const history = runDaily(withRecurrence, '2026-03-05', '2026-05-03');
      const mondays = Array.from({ length: 9 }, (_, week) => addDays('2026-03-09', 7 * week));
      expect(sessionsOf(history)).toEqual(mondays);
      expect(skipsOf(history)).toEqual([]);
    });
  });

  it('after 3 days of downtime, generates every occurrence still 0–7 days ahead, the ones that entered the window meanwhile too', () => {
    // A second recurrence on Wednesdays 15:00. Last run Saturday 03-07 (through 03-14); no run on
    // Sunday, Monday or Tuesday. Wednesday's run makes up Monday 03-16, which Monday's run would have made.
    const wednesdays = configured({ recurrenceId: 'rec-2', patientId: 'pa-maria', schedule: { dayOfWeek: 3, localTime: '15:00', startDate: '2026-03-11' } });
    const history = runDaily([...withRecurrence, wednesdays], '2026-03-05', '2026-03-07');
    expect(sessionsOf(history)).toEqual(['2026-03-09', '2026-03-11']);
    spec
      .given(history)
      .when(generate(midnight('2026-03-11')))
      .then([generated('2026-03-16'), generated('2026-03-18', { recurrenceId: 'rec-2', patientId: 'pa-maria', time: '15:00' })]);
  });

  it('after a longer downtime, creates no session in the past: those occurrences are skipped as not generated in time', () => {
    const at = midnight('2026-03-17');
    spec
      .given(withRecurrence)
      .when(generate(at))
      .then([skipped('2026-03-09', ['not_generated_in_time'], at), skipped('2026-03-16', ['not_generated_in_time'], at), generated('2026-03-23')]);
  });

  it('skips today’s occurrence when the run comes after it started (not_generated_in_time), and generates the rest', () => {
    const at = local('2026-03-09', '09:00');
    spec.given(withRecurrence).when(generate(at)).then([skipped('2026-03-09', ['not_generated_in_time'], at), generated('2026-03-16')]);
  });

  describe('skips an occurrence it cannot hold, with the reasons, telling the therapist and not the patient (BR-RS-002)', () => {
    const at = midnight('2026-03-16');

    it('outside the weekly availability: the therapist no longer works Monday mornings', () => {
      spec
        .given([...afterMondayRun, event('WeeklyScheduleDefined', { rules: [{ ...mondayMorning, startTime: '10:00' }] })])
        .when(generate(at))
        .then([skipped('2026-03-23', ['outside_availability'], at)]);
    });

    it('blocked by an exception: a week of vacation that Monday (EC-AV-004), naming the exception', () => {
      const vacation = event('AvailabilityExceptionAdded', { exceptionId: 'ex-vacaciones', date: '2026-03-23', allDay: true, startTime: null, endTime: null, isAvailable: false, reason: 'Vacaciones' });
      spec
        .given([...afterMondayRun, vacation])
        .when(generate(at))
        .then([skipped('2026-03-23', ['blocked_by_exception'], at, { exceptionIds: ['ex-vacaciones'] })]);
    });

    it('blocked by an exception covering part of the session only (a dentist appointment 09:30–10:00)', () => {
      const dentist = event('AvailabilityExceptionAdded', { exceptionId: 'ex-dentista', date: '2026-03-23', allDay: false, startTime: '09:30', endTime: '10:00', isAvailable: false, reason: null });
      spec.given([...afterMondayRun, dentist]).when(generate(at)).then([skipped('2026-03-23', ['blocked_by_exception'], at, { exceptionIds: ['ex-dentista'] })]);
    });

    it('overlapping a session: a manual session there wins over the recurrence', () => {
      spec.given([...afterMondayRun, manualSession('2026-03-23', '09:00')]).when(generate(at)).then([skipped('2026-03-23', ['overlaps_session'], at)]);
    });

    it('overlapping a hold: a patient asked for that time just before the recurrence existed, and is still within the hold', () => {
      // Sunday 03-08 23:55 a patient requests Monday 03-16 09:00; 23:57 the therapist sets up rec-1.
      const requestedAt = local('2026-03-08', '23:55');
      const request = event('BookingRequested', {
        bookingId: 'bk-1',
        contact: SEALED,
        isNewPatient: true,
        paymentMethod: 'bank_transfer',
        requestedDate: '2026-03-16',
        requestedTime: '09:00',
        ...slotOf('2026-03-16', '09:00'),
        durationMinutes: 50,
        priceAtBooking: 15000,
        currency: 'ARS',
        holdExpiresAt: minutesAfter(requestedAt, 10).toISOString(),
        expiresAt: minutesAfter(requestedAt, 60).toISOString(),
        patientTokenHash: 'hash-bk-1',
        requestedAt: requestedAt.toISOString(),
      });
      const run = midnight('2026-03-09');
      spec
        .given([...calendar, request, configured({ now: local('2026-03-08', '23:57') })])
        .when(generate(run))
        .then([generated('2026-03-09'), skipped('2026-03-16', ['overlaps_hold'], run)]);
    });

    it('breaking a buffer: a session ending 5 minutes before, where 10 are kept after each session', () => {
      spec.given([...afterMondayRun, manualSession('2026-03-23', '08:05')]).when(generate(at)).then([skipped('2026-03-23', ['buffer_violation'], at)]);
    });

    it('with every reason that applies', () => {
      const vacation = event('AvailabilityExceptionAdded', { exceptionId: 'ex-vacaciones', date: '2026-03-23', allDay: true, startTime: null, endTime: null, isAvailable: false, reason: 'Vacaciones' });
      spec
        .given([...afterMondayRun, vacation, manualSession('2026-03-23', '09:00')])
        .when(generate(at))
        .then([skipped('2026-03-23', ['blocked_by_exception', 'overlaps_session'], at, { exceptionIds: ['ex-vacaciones'] })]);
    });

    it('and goes on from there: a skipped occurrence is handled, never generated by a later run', () => {
      const history = [...afterMondayRun, manualSession('2026-03-23', '09:00'), skipped('2026-03-23', ['overlaps_session'], at)];
      spec.given(history).when(generate(local('2026-03-16', '12:00'))).then([]);
      spec.given(history).when(generate(midnight('2026-03-23'))).then([generated('2026-03-30')]);
    });
  });

  it('counts the sessions it generates in the same run: two recurrences on one time cannot both be generated', () => {
    // Clashing recurrences are refused when configured; an older history may still hold two.
    const second = configured({ recurrenceId: 'rec-2', patientId: 'pa-maria' });
    const at = midnight('2026-03-05');
    const events = spec.given([...withRecurrence, second]).when(generate(at)).events();
    expect(events.map((e) => e.type)).toEqual(['SessionScheduled', 'RecurringSessionSkipped']);
    expect(events[1]?.data).toMatchObject({ recurrenceId: 'rec-2', occurrenceDate: '2026-03-09', reasons: ['overlaps_session'] });
  });

  describe('keeps 09:00 at 09:00 local across a DST change (a therapist in New York, Mondays 09:00–12:00 there)', () => {
    const NEW_YORK = 'America/New_York';
    const inNewYork = (startDate: string, configuredAt: Date) => [
      registeredIn(NEW_YORK, '2026-01-05T15:00:00.000Z'),
      event('WeeklyScheduleDefined', { rules: [mondayMorning] }),
      configured({ schedule: { startDate }, timezone: NEW_YORK, now: configuredAt }),
    ];
    const startsOf = (events: readonly TherapistEvent[]) => events.map((e) => (e.type === 'SessionScheduled' ? [e.data.occurrenceDate, e.data.startsAt, e.data.endsAt] : [e.type]));

    it('springing forward on Sunday 2026-03-08: 09:00 EST is 14:00 UTC, 09:00 EDT 13:00 UTC', () => {
      // The run at local midnight of Monday 03-02 (EST, UTC−5).
      const events = spec.given(inNewYork('2026-03-02', new Date('2026-02-25T15:00:00.000Z'))).when(generate(new Date('2026-03-02T05:00:00.000Z'))).events();
      expect(startsOf(events)).toEqual([
        ['2026-03-02', '2026-03-02T14:00:00.000Z', '2026-03-02T14:50:00.000Z'],
        ['2026-03-09', '2026-03-09T13:00:00.000Z', '2026-03-09T13:50:00.000Z'],
      ]);
    });

    it('falling back on Sunday 2026-11-01: 09:00 EDT is 13:00 UTC, 09:00 EST 14:00 UTC', () => {
      // The run at local midnight of Monday 10-26 (EDT, UTC−4).
      const events = spec.given(inNewYork('2026-10-26', new Date('2026-10-20T15:00:00.000Z'))).when(generate(new Date('2026-10-26T04:00:00.000Z'))).events();
      expect(startsOf(events)).toEqual([
        ['2026-10-26', '2026-10-26T13:00:00.000Z', '2026-10-26T13:50:00.000Z'],
        ['2026-11-02', '2026-11-02T14:00:00.000Z', '2026-11-02T14:50:00.000Z'],
      ]);
    });
  });

  it('generates nothing for a paused, stopped or completed recurrence', () => {
    for (const closing of [
      event('RecurrencePaused', { recurrenceId: 'rec-1', pausedAt: NOW.toISOString() }),
      event('RecurrenceStopped', { recurrenceId: 'rec-1', stoppedAt: NOW.toISOString() }),
      event('RecurrenceCompleted', { recurrenceId: 'rec-1', lastOccurrenceDate: null, completedAt: NOW.toISOString() }),
    ]) {
      spec.given([...withRecurrence, closing]).when(generate(midnight('2026-03-09'))).then([]);
    }
  });
});

describe('end date (BR-RS-006)', () => {
  const threeMondays = configured({ schedule: { endDate: '2026-03-23' } });

  it('completes the recurrence once no occurrence is left before its end date: in the run that handles the last one', () => {
    const history = [...calendar, threeMondays, generated('2026-03-09'), generated('2026-03-16')];
    const at = midnight('2026-03-16');
    spec
      .given(history)
      .when(generate(at))
      .then([generated('2026-03-23'), event('RecurrenceCompleted', { recurrenceId: 'rec-1', lastOccurrenceDate: '2026-03-23', completedAt: at.toISOString() })]);
  });

  it('completes it once only: later runs emit nothing', () => {
    const history = runDaily([...calendar, threeMondays], '2026-03-05', '2026-04-10');
    expect(history.filter((e) => e.type === 'RecurrenceCompleted')).toHaveLength(1);
    expect(sessionsOf(history)).toEqual(['2026-03-09', '2026-03-16', '2026-03-23']);
  });

  it('completes it even when its last occurrence was skipped', () => {
    const at = midnight('2026-03-16');
    const history = [...calendar, threeMondays, generated('2026-03-09'), generated('2026-03-16'), manualSession('2026-03-23', '09:00')];
    spec
      .given(history)
      .when(generate(at))
      .then([skipped('2026-03-23', ['overlaps_session'], at), event('RecurrenceCompleted', { recurrenceId: 'rec-1', lastOccurrenceDate: '2026-03-23', completedAt: at.toISOString() })]);
  });

  it('holds no slot for patients after its last session (none beyond the end date)', () => {
    spec.given([...calendar, threeMondays]).when(requestBooking('2026-03-23', '09:00', NOW)).thenThrows(Conflict, { code: 'slot_unavailable' });
    const [requested] = spec.given([...calendar, threeMondays]).when(requestBooking('2026-03-30', '09:00', NOW)).events();
    expect(requested?.type).toBe('BookingRequested');
  });
});

describe('ModifyRecurrence (BR-RS-005)', () => {
  const TUESDAY = local('2026-03-10', '10:00');

  it('applies from today on: the coming days are decided again under the new rule (a date with a session keeps it)', () => {
    spec
      .given(afterMondayRun)
      .when(modify(TUESDAY, { schedule: { localTime: '10:00' }, price: 17000 }))
      .then([
        event('RecurrenceModified', {
          recurrenceId: 'rec-1',
          ...scheduleOf({ localTime: '10:00' }),
          price: 17000,
          reminders: REMINDERS,
          rule: ruleText(scheduleOf({ localTime: '10:00' })),
          effectiveFrom: '2026-03-10',
          modifiedAt: TUESDAY.toISOString(),
        }),
      ]);
  });

  it('is effective from the start date when nothing was generated yet', () => {
    const [modified] = spec.given(withRecurrence).when(modify(NOW, { schedule: { localTime: '10:00' } })).events();
    expect(modified?.data).toMatchObject({ effectiveFrom: '2026-03-09' });
  });

  it('leaves the generated sessions as they are unless asked, and the next run uses the new settings', () => {
    const history = [...afterMondayRun, ...spec.given(afterMondayRun).when(modify(TUESDAY, { schedule: { localTime: '10:00' }, price: 17000 })).events()];
    spec.given(history).when(generate(midnight('2026-03-17'))).then([generated('2026-03-23', { time: '10:00', price: 17000 })]);
    expect(stateOf(history).sessions[occurrenceSessionId('rec-1', '2026-03-16')]).toMatchObject({ ...slotOf('2026-03-16', '09:00'), price: 15000 });
  });

  it('generates the new weekday’s occurrences of the coming days at once, and keeps the old weekday’s sessions unless asked', () => {
    // Mondays 09:00 → Wednesdays 15:00 on Tuesday 03-10: Wednesday 03-11 is within the 7 days (03-18 is not yet).
    const history = [...afterMondayRun, ...spec.given(afterMondayRun).when(modify(TUESDAY, { schedule: { dayOfWeek: 3, localTime: '15:00' } })).events()];
    const run = spec.given(history).when(generate(TUESDAY)).events();
    expect(run.filter((e) => e.type === 'SessionScheduled').map((e) => (e.data as { occurrenceDate: string }).occurrenceDate)).toEqual(['2026-03-11']);
    expect(stateOf(history).sessions[occurrenceSessionId('rec-1', '2026-03-16')]).toMatchObject({ status: 'scheduled' });
  });

  it('with applyToPending, cancels a pending session on a weekday the new rule no longer has (its week gets the new one)', () => {
    const events = spec.given(afterMondayRun).when(modify(TUESDAY, { schedule: { dayOfWeek: 3, localTime: '15:00' }, applyToPending: true })).events();
    expect(events.slice(1)).toEqual([event('SessionCancelled', { sessionId: occurrenceSessionId('rec-1', '2026-03-16'), cancelledBy: 'therapist', reason: null, cancelledAt: TUESDAY.toISOString() })]);
  });

  describe('with applyToPending ("Update 3 pending sessions? [Yes]")', () => {
    const SUNDAY = local('2026-03-15', '10:00');
    const moved = (date: string, at: Date) => event('SessionRescheduled', { sessionId: occurrenceSessionId('rec-1', date), ...slotOf(date, '10:00'), durationMinutes: 50, price: 17000, rescheduledAt: at.toISOString() });
    const toTen = (at: Date) => modify(at, { schedule: { localTime: '10:00' }, price: 17000, applyToPending: true });

    it('moves the unpaid future generated sessions to the new time, length and price on their own date', () => {
      // Monday 05:00: both 03-09 and 03-16 are still ahead.
      const early = local('2026-03-09', '05:00');
      const events = spec.given(afterMondayRun).when(toTen(early)).events();
      expect(events.slice(1)).toEqual([moved('2026-03-09', early), moved('2026-03-16', early)]);
    });

    it('never a past one (03-09 took place at 09:00)', () => {
      const events = spec.given(afterMondayRun).when(toTen(TUESDAY)).events();
      expect(events.slice(1)).toEqual([moved('2026-03-16', TUESDAY)]);
    });

    it('never a paid one (historical record)', () => {
      const events = spec.given([...afterMondayRun, paid(occurrenceSessionId('rec-1', '2026-03-16'), local('2026-03-08', '18:00'))]).when(toTen(TUESDAY)).events();
      expect(events.map((e) => e.type)).toEqual(['RecurrenceModified']);
    });

    it('never a cancelled one', () => {
      const cancelled = event('SessionCancelled', { sessionId: occurrenceSessionId('rec-1', '2026-03-16'), cancelledBy: 'therapist', reason: null, cancelledAt: TUESDAY.toISOString() });
      expect(spec.given([...afterMondayRun, cancelled]).when(toTen(minutesAfter(TUESDAY, 5))).events().map((e) => e.type)).toEqual(['RecurrenceModified']);
    });

    it('keeps the time of one whose new time would overlap another session', () => {
      // Sunday 03-15: 03-16 is the one ahead; María has a manual session that day at 10:00.
      const events = spec.given([...afterMondayRun, manualSession('2026-03-16', '10:00')]).when(toTen(SUNDAY)).events();
      expect(events.map((e) => e.type)).toEqual(['RecurrenceModified']);
    });

    it('never moves a session to a time already past (today’s 17:00 session, changed to 14:00 at 15:00)', () => {
      // Wednesdays at 17:00 from today; at 15:00 the therapist moves them to 14:00. Today's session is
      // still ahead, but its new time is not: it keeps 17:00, next week's moves.
      const wednesdays = { dayOfWeek: 3, localTime: '17:00', startDate: '2026-03-04' } as const;
      const history = [...calendar, configured({ schedule: wednesdays }), generated('2026-03-04', { time: '17:00' }), generated('2026-03-11', { time: '17:00' })];
      const at = local('2026-03-04', '15:00');
      const events = spec.given(history).when(modify(at, { schedule: { ...wednesdays, localTime: '14:00' }, applyToPending: true })).events();
      expect(events.flatMap((e) => (e.type === 'SessionRescheduled' ? [e.data.sessionId] : []))).toEqual([occurrenceSessionId('rec-1', '2026-03-11')]);
    });
  });

  it('refuses invalid settings field by field, but accepts a start date in the past (it is the original one)', () => {
    spec.given(afterMondayRun).when(modify(TUESDAY, { schedule: { intervalDays: 2 } })).thenThrows(ValidationFailed, { issues: [{ field: 'intervalDays', message: 'Only for a custom frequency' }] });
    expect(spec.given(afterMondayRun).when(modify(TUESDAY, { price: 16000 })).events()).toHaveLength(1);
  });

  it('refuses a stopped or completed recurrence, and answers an unknown one with NotFound', () => {
    spec.given([...afterMondayRun, event('RecurrenceStopped', { recurrenceId: 'rec-1', stoppedAt: TUESDAY.toISOString() })]).when(modify(TUESDAY)).thenThrows(Conflict, { code: 'recurrence_stopped' });
    spec.given([...afterMondayRun, event('RecurrenceCompleted', { recurrenceId: 'rec-1', lastOccurrenceDate: '2026-03-16', completedAt: TUESDAY.toISOString() })]).when(modify(TUESDAY)).thenThrows(Conflict, { code: 'recurrence_completed' });
    spec.given(calendar).when(modify(TUESDAY)).thenThrows(NotFound, { code: 'recurrence_not_found' });
  });
});

describe('PauseRecurrence and ResumeRecurrence', () => {
  const pausedAt = local('2026-03-10', '12:00');
  const paused = event('RecurrencePaused', { recurrenceId: 'rec-1', pausedAt: pausedAt.toISOString() });

  it('pauses an active recurrence; pausing it again is a no-op', () => {
    spec.given(afterMondayRun).when(change('PauseRecurrence', pausedAt)).then([paused]);
    spec.given([...afterMondayRun, paused]).when(change('PauseRecurrence', minutesAfter(pausedAt, 60))).then([]);
  });

  it('leaves the sessions generated before the pause untouched (BR-RS-003)', () => {
    const state = stateOf([...afterMondayRun, paused]);
    expect(state.sessions[occurrenceSessionId('rec-1', '2026-03-16')]).toMatchObject({ status: 'scheduled', paymentStatus: 'pending' });
  });

  it('resumes from today (BR-RS-004: resumeFrom is the day of resuming); resuming an active one is a no-op', () => {
    const resumedAt = local('2026-04-01', '11:00');
    spec.given([...afterMondayRun, paused]).when(change('ResumeRecurrence', resumedAt)).then([event('RecurrenceResumed', { recurrenceId: 'rec-1', resumeFrom: '2026-04-01', resumedAt: resumedAt.toISOString() })]);
    spec.given(afterMondayRun).when(change('ResumeRecurrence', resumedAt)).then([]);
  });

  it('does not backfill: after resuming on Wednesday 04-01, the next session is Monday 04-06, none of the paused weeks', () => {
    const duringPause = runDaily([...afterMondayRun, paused], '2026-03-11', '2026-03-31');
    expect(duringPause).toHaveLength(afterMondayRun.length + 1);
    const resumed = event('RecurrenceResumed', { recurrenceId: 'rec-1', resumeFrom: '2026-04-01', resumedAt: local('2026-04-01', '11:00').toISOString() });
    spec.given([...duringPause, resumed]).when(generate(midnight('2026-04-02'))).then([generated('2026-04-06')]);
  });

  it('holds no slot for patients while paused, and again once resumed', () => {
    const [requested] = spec.given([...afterMondayRun, paused]).when(requestBooking('2026-03-23', '09:00', pausedAt)).events();
    expect(requested?.type).toBe('BookingRequested');
    const resumedAt = local('2026-03-11', '09:00');
    const resumed = event('RecurrenceResumed', { recurrenceId: 'rec-1', resumeFrom: '2026-03-11', resumedAt: resumedAt.toISOString() });
    spec.given([...afterMondayRun, paused, resumed]).when(requestBooking('2026-03-23', '09:00', resumedAt)).thenThrows(Conflict, { code: 'slot_unavailable' });
  });

  it('refuses to pause or resume a stopped recurrence (Conflict recurrence_stopped)', () => {
    const stopped = event('RecurrenceStopped', { recurrenceId: 'rec-1', stoppedAt: pausedAt.toISOString() });
    spec.given([...afterMondayRun, stopped]).when(change('PauseRecurrence', pausedAt)).thenThrows(Conflict, { code: 'recurrence_stopped' });
    spec.given([...afterMondayRun, stopped]).when(change('ResumeRecurrence', pausedAt)).thenThrows(Conflict, { code: 'recurrence_stopped' });
  });

  it('answers an unknown recurrence with NotFound recurrence', () => {
    spec.given(calendar).when(change('PauseRecurrence', pausedAt)).thenThrows(NotFound, { code: 'recurrence_not_found' });
  });
});

describe('StopRecurrence', () => {
  const stoppedAt = local('2026-03-10', '12:00');
  const stopped = event('RecurrenceStopped', { recurrenceId: 'rec-1', stoppedAt: stoppedAt.toISOString() });

  it('stops the recurrence and nothing else: the sessions it generated stay', () => {
    spec.given(afterMondayRun).when(change('StopRecurrence', stoppedAt)).then([stopped]);
    expect(stateOf([...afterMondayRun, stopped]).sessions[occurrenceSessionId('rec-1', '2026-03-16')]).toMatchObject({ status: 'scheduled' });
  });

  it('ends generation for good', () => {
    const history = runDaily([...afterMondayRun, stopped], '2026-03-11', '2026-04-30');
    expect(history).toHaveLength(afterMondayRun.length + 1);
  });

  it('is a no-op when stopped or completed already', () => {
    spec.given([...afterMondayRun, stopped]).when(change('StopRecurrence', minutesAfter(stoppedAt, 1))).then([]);
    spec.given([...afterMondayRun, event('RecurrenceCompleted', { recurrenceId: 'rec-1', lastOccurrenceDate: '2026-03-16', completedAt: stoppedAt.toISOString() })]).when(change('StopRecurrence', stoppedAt)).then([]);
  });
});

describe('a recurrence protects its future slots', () => {
  const patientNow = local('2026-03-05', '10:00');

  it('a patient cannot book the slot of an occurrence not generated yet (Conflict slot_unavailable, shown as booked)', () => {
    spec.given(withRecurrence).when(requestBooking('2026-03-30', '09:00', patientNow)).thenThrows(Conflict, { code: 'slot_unavailable', message: 'This slot is already booked' });
  });

  it('but may book the time next to it (10:00)', () => {
    const [requested] = spec.given(withRecurrence).when(requestBooking('2026-03-30', '10:00', patientNow)).events();
    expect(requested?.type).toBe('BookingRequested');
  });

  it('while the therapist’s own manual session there is accepted (BR-RS-002)', () => {
    spec.given(withRecurrence).when(scheduleSession('2026-03-30', '09:00')).then([manualSession('2026-03-30', '09:00')]);
  });

  it('and the run that reaches that Monday skips the occurrence as overlapping a session', () => {
    const at = midnight('2026-03-23');
    const history = runDaily([...withRecurrence, manualSession('2026-03-30', '09:00')], '2026-03-05', '2026-03-22');
    spec.given(history).when(generate(at)).then([skipped('2026-03-30', ['overlaps_session'], at)]);
  });
});

describe('ScheduleSession (a manual session)', () => {
  it('refuses a time another session takes (Conflict slot_unavailable)', () => {
    spec.given(afterMondayRun).when(scheduleSession('2026-03-16', '09:30')).thenThrows(Conflict, { code: 'slot_unavailable', message: 'Another session takes this time' });
  });

  it('refuses a time in the past (ValidationFailed date)', () => {
    spec.given(calendar).when(scheduleSession('2026-03-02', '09:00')).thenThrows(ValidationFailed, { issues: [{ field: 'date', message: 'Must be in the future' }] });
  });

  it('records nothing for a retried session id', () => {
    spec.given([...calendar, manualSession('2026-03-30', '09:00')]).when(scheduleSession('2026-03-30', '09:00')).then([]);
  });
});

describe('RecordSessionPayment', () => {
  const sessionId = occurrenceSessionId('rec-1', '2026-03-16');
  const at = local('2026-03-12', '18:00');

  it('records a pending session paid (a bank transfer): SessionPaymentReceived', () => {
    spec.given(afterMondayRun).when(recordPayment(sessionId, at)).then([paid(sessionId, at)]);
    expect(stateOf([...afterMondayRun, paid(sessionId, at)]).sessions[sessionId]?.paymentStatus).toBe('paid');
  });

  it('records nothing the second time', () => {
    spec.given([...afterMondayRun, paid(sessionId, at)]).when(recordPayment(sessionId, minutesAfter(at, 5))).then([]);
  });

  it('refuses a cancelled session (Conflict session_cancelled) and answers an unknown one with NotFound', () => {
    const cancelled = event('SessionCancelled', { sessionId, cancelledBy: 'therapist', reason: null, cancelledAt: at.toISOString() });
    spec.given([...afterMondayRun, cancelled]).when(recordPayment(sessionId, minutesAfter(at, 5))).thenThrows(Conflict, { code: 'session_cancelled' });
    spec.given(afterMondayRun).when(recordPayment('se-unknown', at)).thenThrows(NotFound, { code: 'session_not_found' });
  });
});

describe('RecordPaymentReminderDue (BR-RS-007)', () => {
  const sessionId = occurrenceSessionId('rec-1', '2026-03-16');
  /** 3 days before Monday 03-16 09:00. */
  const due = local('2026-03-13', '09:00');
  const reminded = event('PaymentReminderDue', { sessionId, recurrenceId: 'rec-1', dueAt: due.toISOString() });

  it('records the reminder of an unpaid future session of a recurrence with reminders on', () => {
    spec.given(afterMondayRun).when(reminderDue(sessionId, due)).then([reminded]);
  });

  it('records it once', () => {
    spec.given([...afterMondayRun, reminded]).when(reminderDue(sessionId, minutesAfter(due, 60 * 24))).then([]);
  });

  it('records nothing for a recurrence with reminders off', () => {
    const history = [...calendar, configured({ reminders: { enabled: false, daysBefore: 3 } }), generated('2026-03-09'), generated('2026-03-16')];
    spec.given(history).when(reminderDue(sessionId, due)).then([]);
  });

  it('records nothing for a paid, cancelled or past session, or an unknown one', () => {
    spec.given([...afterMondayRun, paid(sessionId, local('2026-03-12', '18:00'))]).when(reminderDue(sessionId, due)).then([]);
    spec.given([...afterMondayRun, event('SessionCancelled', { sessionId, cancelledBy: 'therapist', reason: null, cancelledAt: local('2026-03-12', '18:00').toISOString() })]).when(reminderDue(sessionId, due)).then([]);
    spec.given(afterMondayRun).when(reminderDue(sessionId, local('2026-03-16', '09:00'))).then([]);
    spec.given(afterMondayRun).when(reminderDue('se-unknown', due)).then([]);
  });
});
