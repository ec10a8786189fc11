import type { Knex } from 'knex';
import { assertNever } from '../domain/shared/decider.js';
import type { TherapistEvent } from '../domain/therapist/therapist-events.js';
import { defaultBookingPolicies } from '../domain/availability/availability-types.js';
import { handledEvents, type Projection } from './projection.js';

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
 * availability query computes slots from. Every write is an upsert or a delete by key, so applying
 * an event twice leaves the same rows.
 */
export const availabilityProjection: Projection = {
  name: 'availability',
  handles: HANDLES,
  tables: ['read.booking_policies', 'read.availability_rules', 'read.availability_exceptions', 'read.busy_intervals'],
  async apply(trx, events) {
    const touched = new Map<string, number>();
    for (const projected of handledEvents<TherapistEvent, Handled>(events, HANDLES)) {
      const therapistId = projected.streamId.slice('therapist-'.length);
      await applyOne(trx, therapistId, projected.event);
      touched.set(therapistId, projected.streamRevision);
    }
    for (const [therapistId, revision] of touched) {
      await trx('read.booking_policies').where({ therapist_id: therapistId }).update({ calendar_revision: revision });
    }
  },
};

async function applyOne(trx: Knex.Transaction, therapistId: string, event: Extract<TherapistEvent, { type: Handled }>): Promise<void> {
  const busy = () => trx('read.busy_intervals');
  switch (event.type) {
    case 'TherapistRegistered':
      await upsertPolicies(trx, therapistId, defaultBookingPolicies(event.data.timezone));
      return;
    case 'BookingPoliciesChanged':
      await upsertPolicies(trx, therapistId, event.data);
      return;
    case 'WeeklyScheduleDefined':
      await trx('read.availability_rules').where({ therapist_id: therapistId }).delete();
      if (event.data.rules.length > 0) {
        await trx('read.availability_rules').insert(
          event.data.rules.map((r) => ({ therapist_id: therapistId, rule_id: r.ruleId, day_of_week: r.dayOfWeek, start_time: r.startTime, end_time: r.endTime })),
        );
      }
      return;
    case 'AvailabilityRuleRemoved':
      await trx('read.availability_rules').where({ therapist_id: therapistId, rule_id: event.data.ruleId }).delete();
      return;
    case 'AvailabilityExceptionAdded': {
      const d = event.data;
      await trx('read.availability_exceptions')
        .insert({ therapist_id: therapistId, exception_id: d.exceptionId, date: d.date, all_day: d.allDay, start_time: d.startTime, end_time: d.endTime, is_available: d.isAvailable, reason: d.reason })
        .onConflict(['therapist_id', 'exception_id'])
        .ignore();
      return;
    }
    case 'AvailabilityExceptionRemoved':
      await trx('read.availability_exceptions').where({ therapist_id: therapistId, exception_id: event.data.exceptionId }).delete();
      return;
    case 'BookingRequested': {
      const d = event.data;
      await busy()
        .insert({ therapist_id: therapistId, source_id: d.bookingId, kind: 'hold', starts_at: d.startsAt, ends_at: d.endsAt, expires_at: d.holdExpiresAt })
        .onConflict(['therapist_id', 'source_id'])
        .ignore();
      return;
    }
    case 'PaymentStarted':
      // Paying keeps the slot until confirmation or cancellation.
      await busy().where({ therapist_id: therapistId, source_id: event.data.bookingId }).update({ expires_at: null });
      return;
    case 'BookingHoldExpired':
    case 'BookingConfirmed':
    case 'BookingCancelled':
    case 'BookingExpired':
      await busy().where({ therapist_id: therapistId, source_id: event.data.bookingId, kind: 'hold' }).delete();
      return;
    case 'SessionScheduled': {
      const d = event.data;
      await busy()
        .insert({ therapist_id: therapistId, source_id: d.sessionId, kind: 'session', starts_at: d.startsAt, ends_at: d.endsAt, expires_at: null })
        .onConflict(['therapist_id', 'source_id'])
        .ignore();
      return;
    }
    case 'SessionCancelled':
      await busy().where({ therapist_id: therapistId, source_id: event.data.sessionId }).delete();
      return;
    default:
      assertNever(event);
  }
}

async function upsertPolicies(trx: Knex.Transaction, therapistId: string, p: ReturnType<typeof defaultBookingPolicies>): Promise<void> {
  const row = {
    session_duration_minutes: p.sessionDurationMinutes,
    buffer_before_minutes: p.bufferBeforeMinutes,
    buffer_after_minutes: p.bufferAfterMinutes,
    min_advance_booking_hours: p.minAdvanceBookingHours,
    max_advance_booking_days: p.maxAdvanceBookingDays,
    timezone: p.timezone,
    slot_step_minutes: p.slotStepMinutes,
  };
  await trx('read.booking_policies').insert({ therapist_id: therapistId, ...row, calendar_revision: -1 }).onConflict('therapist_id').merge(row);
}
