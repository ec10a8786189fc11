import { assertNever } from '../domain/shared/decider.js';
import type { TherapistEvent } from '../domain/therapist/therapist-events.js';
import { defaultBookingPolicies, type BookingPolicies } from '../domain/availability/availability-types.js';
import { handledEvents, type Projection } from './projection.js';
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
] as const satisfies readonly TherapistEvent['type'][];
type Handled = (typeof HANDLES)[number];

/**
 * read.booking_policies, availability_rules, availability_exceptions, busy_intervals: the facts the
 * availability query computes slots from. Writes are keyed (see TableBuffer), so a batch becomes a
 * few set-based statements and applying an event twice leaves the same rows.
 */
export function availabilityProjection(shapes: TableShapes = new TableShapes()): Projection {
  return {
    name: 'availability',
    handles: HANDLES,
    tables: ['read.booking_policies', 'read.availability_rules', 'read.availability_exceptions', 'read.busy_intervals'],
    async apply(trx, events) {
      const tables: Tables = {
        policies: new TableBuffer(trx, 'read.booking_policies', ['therapist_id'], shapes),
        rules: new TableBuffer(trx, 'read.availability_rules', ['therapist_id', 'rule_id'], shapes),
        exceptions: new TableBuffer(trx, 'read.availability_exceptions', ['therapist_id', 'exception_id'], shapes),
        busy: new TableBuffer(trx, 'read.busy_intervals', ['therapist_id', 'source_id'], shapes),
      };
      const touched = new Map<string, number>();
      for (const projected of handledEvents<TherapistEvent, Handled>(events, HANDLES)) {
        const therapistId = projected.streamId.slice('therapist-'.length);
        if (projected.event.type === 'WeeklyScheduleDefined') {
          // Replaces every rule of the therapist, whatever their ids: not a keyed write.
          await tables.rules.flush();
          await trx('read.availability_rules').where({ therapist_id: therapistId }).delete();
        }
        applyOne(tables, therapistId, projected.event);
        touched.set(therapistId, projected.streamRevision);
      }
      for (const [therapistId, revision] of touched) tables.policies.update({ therapist_id: therapistId }, { calendar_revision: revision });
      for (const table of [tables.policies, tables.rules, tables.exceptions, tables.busy]) await table.flush();
    },
  };
}

interface Tables {
  readonly policies: TableBuffer;
  readonly rules: TableBuffer;
  readonly exceptions: TableBuffer;
  readonly busy: TableBuffer;
}

function applyOne(t: Tables, therapistId: string, event: Extract<TherapistEvent, { type: Handled }>): void {
  const key = { therapist_id: therapistId };
  switch (event.type) {
    case 'TherapistRegistered':
      t.policies.insert({ ...key, ...policyColumns(defaultBookingPolicies(event.data.timezone)), calendar_revision: -1 });
      return;
    case 'BookingPoliciesChanged':
      t.policies.update(key, policyColumns(event.data));
      return;
    case 'WeeklyScheduleDefined':
      for (const r of event.data.rules) t.rules.insert({ ...key, rule_id: r.ruleId, day_of_week: r.dayOfWeek, start_time: r.startTime, end_time: r.endTime });
      return;
    case 'AvailabilityRuleRemoved':
      t.rules.delete({ ...key, rule_id: event.data.ruleId });
      return;
    case 'AvailabilityExceptionAdded': {
      const d = event.data;
      t.exceptions.insert({ ...key, exception_id: d.exceptionId, date: d.date, all_day: d.allDay, start_time: d.startTime, end_time: d.endTime, is_available: d.isAvailable, reason: d.reason });
      return;
    }
    case 'AvailabilityExceptionRemoved':
      t.exceptions.delete({ ...key, exception_id: event.data.exceptionId });
      return;
    case 'BookingRequested': {
      const d = event.data;
      t.busy.insert({ ...key, source_id: d.bookingId, kind: 'hold', starts_at: d.startsAt, ends_at: d.endsAt, expires_at: d.holdExpiresAt });
      return;
    }
    case 'PaymentStarted':
      // Paying keeps the slot until its payment deadline (v1 payments had none: until confirmed or cancelled).
      t.busy.update({ ...key, source_id: event.data.bookingId }, { expires_at: event.data.paymentExpiresAt });
      return;
    case 'BookingHoldExpired':
      // The row stays: its past expires_at already frees the slot at query time, and a payment that
      // starts after the hold lapsed (PaymentStarted) takes the slot again by clearing it.
      return;
    case 'BookingConfirmed':
    case 'BookingCancelled':
    case 'BookingExpired':
      // Keyed by the booking id: only the hold has it (a session is keyed by its own id).
      t.busy.delete({ ...key, source_id: event.data.bookingId });
      return;
    case 'SessionScheduled': {
      const d = event.data;
      t.busy.insert({ ...key, source_id: d.sessionId, kind: 'session', starts_at: d.startsAt, ends_at: d.endsAt, expires_at: null });
      return;
    }
    case 'SessionCancelled':
      t.busy.delete({ ...key, source_id: event.data.sessionId });
      return;
    default:
      assertNever(event);
  }
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
