import { assertNever } from '../domain/shared/decider.js';
import type { TherapistEvent } from '../domain/therapist/therapist-events.js';
import { defaultBookingPolicies, type BookingPolicies } from '../domain/availability/availability-types.js';
import { handledEvents, LIVE_TABLES, type Projection } from './projection.js';
import { TableBuffer, TableShapes } from './table-buffer.js';

const HANDLES = [
  'TherapistRegistered',
  'WeeklyScheduleDefined',
  'AvailabilityRuleRemoved',
  'AvailabilityExceptionAdded',
  'AvailabilityExceptionRemoved',
  'BookingPoliciesChanged',
  'BookingRequested',
  'BookingHoldExpired',
  'PaymentStarted',
  'BookingConfirmed',
  'BookingCancelled',
  'BookingExpired',
  'SessionScheduled',
  'SessionCancelled',
  'SessionRescheduled',
  'RecurrenceConfigured',
  'RecurrenceModified',
  'RecurrencePaused',
  'RecurrenceResumed',
  'RecurrenceStopped',
  'RecurrenceCompleted',
  'RecurringSessionSkipped',
] as const satisfies readonly TherapistEvent['type'][];
type Handled = (typeof HANDLES)[number];

/**
 * read.booking_policies, availability_rules, availability_exceptions, busy_intervals, recurrences:
 * the facts the availability query computes slots from (a recurrence's future occurrences show as
 * booked until generated). Writes are keyed (see TableBuffer), so a batch becomes a
 * few set-based statements and applying an event twice leaves the same rows.
 */
export function availabilityProjection(shapes: TableShapes = new TableShapes()): Projection {
  return {
    name: 'availability',
    handles: HANDLES,
    tables: ['read.booking_policies', 'read.availability_rules', 'read.availability_exceptions', 'read.busy_intervals', 'read.recurrences'],
    async apply(trx, events, target = LIVE_TABLES) {
      const tables: Tables = {
        policies: new TableBuffer(trx, target, 'read.booking_policies', ['therapist_id'], shapes),
        rules: new TableBuffer(trx, target, 'read.availability_rules', ['therapist_id', 'rule_id'], shapes),
        exceptions: new TableBuffer(trx, target, 'read.availability_exceptions', ['therapist_id', 'exception_id'], shapes),
        busy: new TableBuffer(trx, target, 'read.busy_intervals', ['therapist_id', 'source_id'], shapes),
        recurrences: new TableBuffer(trx, target, 'read.recurrences', ['id'], shapes),
      };
      const touched = new Map<string, number>();
      for (const projected of handledEvents<TherapistEvent, Handled>(events, HANDLES)) {
        const therapistId = projected.streamId.slice('therapist-'.length);
        if (projected.event.type === 'WeeklyScheduleDefined') {
          // Replaces every rule of the therapist, whatever their ids: not a keyed write.
          await tables.rules.flush();
          await trx(target('read.availability_rules')).where({ therapist_id: therapistId }).delete();
        }
        const onward = onwardDate(projected.event);
        if (onward) {
          // The recurrence never goes back to a date it passed: the greater of the two, in SQL.
          await tables.recurrences.flush();
          await trx(target('read.recurrences')).where({ id: onward.recurrenceId }).update({ not_before: trx.raw('greatest(not_before, ?::date)', [onward.date]), updated_at: onward.at });
          if (onward.reopensFrom) {
            await trx(target('read.recurrences')).where({ id: onward.recurrenceId }).where('handled_through', '>=', onward.reopensFrom).update({ handled_through: trx.raw('?::date - 1', [onward.reopensFrom]) });
          }
        }
        applyOne(tables, therapistId, projected.event);
        touched.set(therapistId, projected.streamRevision);
      }
      for (const [therapistId, revision] of touched) tables.policies.update({ therapist_id: therapistId }, { calendar_revision: revision });
      for (const table of [tables.policies, tables.rules, tables.exceptions, tables.busy, tables.recurrences]) await table.flush();
    },
  };
}

interface Tables {
  readonly policies: TableBuffer;
  readonly rules: TableBuffer;
  readonly exceptions: TableBuffer;
  readonly busy: TableBuffer;
  readonly recurrences: TableBuffer;
}

/** A modified schedule's start, or the day a recurrence resumed: where its occurrences may go on from. */
function onwardDate(event: Extract<TherapistEvent, { type: Handled }>): { recurrenceId: string; date: string; at: string; reopensFrom?: string } | undefined {
  if (event.type === 'RecurrenceModified') return { recurrenceId: event.data.recurrenceId, date: event.data.startDate, at: event.data.modifiedAt, reopensFrom: event.data.effectiveFrom };
  if (event.type === 'RecurrenceResumed') return { recurrenceId: event.data.recurrenceId, date: event.data.resumeFrom, at: event.data.resumedAt };
  return undefined;
}

function applyOne(t: Tables, therapistId: string, event: Extract<TherapistEvent, { type: Handled }>): void {
  switch (event.type) {
    case 'TherapistRegistered':
      t.policies.insert({ therapist_id: therapistId, ...policyColumns(defaultBookingPolicies(event.data.timezone)), calendar_revision: -1 });
      return;
    case 'BookingPoliciesChanged':
      t.policies.update({ therapist_id: therapistId }, policyColumns(event.data));
      return;
    case 'WeeklyScheduleDefined':
      for (const r of event.data.rules) t.rules.insert({ therapist_id: therapistId, rule_id: r.ruleId, day_of_week: r.dayOfWeek, start_time: r.startTime, end_time: r.endTime });
      return;
    case 'AvailabilityRuleRemoved':
      t.rules.delete({ therapist_id: therapistId, rule_id: event.data.ruleId });
      return;
    case 'AvailabilityExceptionAdded': {
      const d = event.data;
      t.exceptions.insert({ therapist_id: therapistId, exception_id: d.exceptionId, date: d.date, all_day: d.allDay, start_time: d.startTime, end_time: d.endTime, is_available: d.isAvailable, reason: d.reason });
      return;
    }
    case 'AvailabilityExceptionRemoved':
      t.exceptions.delete({ therapist_id: therapistId, exception_id: event.data.exceptionId });
      return;
    case 'BookingRequested': {
      const d = event.data;
      t.busy.insert({ therapist_id: therapistId, source_id: d.bookingId, kind: 'hold', starts_at: d.startsAt, ends_at: d.endsAt, expires_at: d.holdExpiresAt });
      return;
    }
    case 'PaymentStarted':
      // Paying keeps the slot until its payment deadline (v1 payments had none: until confirmed or cancelled).
      t.busy.update({ therapist_id: therapistId, source_id: event.data.bookingId }, { expires_at: event.data.paymentExpiresAt });
      return;
    case 'BookingHoldExpired':
      // The row stays: its past expires_at already frees the slot at query time, and a payment that
      // starts after the hold lapsed (PaymentStarted) takes the slot again by clearing it.
      return;
    case 'BookingConfirmed':
    case 'BookingCancelled':
    case 'BookingExpired':
      // Keyed by the booking id: only the hold has it (a session is keyed by its own id).
      t.busy.delete({ therapist_id: therapistId, source_id: event.data.bookingId });
      return;
    case 'SessionScheduled': {
      const d = event.data;
      t.busy.insert({ therapist_id: therapistId, source_id: d.sessionId, kind: 'session', starts_at: d.startsAt, ends_at: d.endsAt, expires_at: null });
      if (d.recurrenceId && d.occurrenceDate) t.recurrences.update({ id: d.recurrenceId }, { handled_through: d.occurrenceDate });
      return;
    }
    case 'SessionCancelled':
      t.busy.delete({ therapist_id: therapistId, source_id: event.data.sessionId });
      return;
    case 'SessionRescheduled':
      t.busy.update({ therapist_id: therapistId, source_id: event.data.sessionId }, { starts_at: event.data.startsAt, ends_at: event.data.endsAt });
      return;
    case 'RecurrenceConfigured': {
      const d = event.data;
      t.recurrences.insert({ id: d.recurrenceId, therapist_id: therapistId, patient_id: d.patientId, ...recurrenceColumns(d), status: 'active', not_before: d.startDate, handled_through: null, configured_at: d.configuredAt, updated_at: d.configuredAt });
      return;
    }
    case 'RecurrenceModified':
      t.recurrences.update({ id: event.data.recurrenceId }, { ...recurrenceColumns(event.data), updated_at: event.data.modifiedAt });
      return;
    case 'RecurrencePaused':
      t.recurrences.update({ id: event.data.recurrenceId }, { status: 'paused', updated_at: event.data.pausedAt });
      return;
    case 'RecurrenceResumed':
      t.recurrences.update({ id: event.data.recurrenceId }, { status: 'active', updated_at: event.data.resumedAt });
      return;
    case 'RecurrenceStopped':
      t.recurrences.update({ id: event.data.recurrenceId }, { status: 'stopped', updated_at: event.data.stoppedAt });
      return;
    case 'RecurrenceCompleted':
      t.recurrences.update({ id: event.data.recurrenceId }, { status: 'completed', updated_at: event.data.completedAt });
      return;
    case 'RecurringSessionSkipped':
      t.recurrences.update({ id: event.data.recurrenceId }, { handled_through: event.data.occurrenceDate });
      return;
    default:
      assertNever(event);
  }
}

function recurrenceColumns(d: Extract<TherapistEvent, { type: 'RecurrenceConfigured' | 'RecurrenceModified' }>['data']) {
  return {
    frequency: d.frequency,
    interval_days: d.intervalDays,
    day_of_week: d.dayOfWeek,
    local_time: d.localTime,
    duration_minutes: d.durationMinutes,
    price: d.price,
    start_date: d.startDate,
    end_date: d.endDate,
    reminders_enabled: d.reminders.enabled,
    reminder_days_before: d.reminders.daysBefore,
    rule: d.rule,
    timezone: d.timezone,
  };
}

function policyColumns(p: BookingPolicies) {
  return {
    session_duration_minutes: p.sessionDurationMinutes,
    buffer_before_minutes: p.bufferBeforeMinutes,
    buffer_after_minutes: p.bufferAfterMinutes,
    min_advance_booking_hours: p.minAdvanceBookingHours,
    max_advance_booking_days: p.maxAdvanceBookingDays,
    timezone: p.timezone,
    slot_step_minutes: p.slotStepMinutes,
  };
}
