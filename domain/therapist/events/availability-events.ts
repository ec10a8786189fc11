import { z } from 'zod';
import type { EventOf } from '../../shared/event-of.js';
import { defineEvent } from '../../shared/event-codec.js';
import { id, localDate, localEndTime, localTime, minutes } from './event-fields.js';

/** Replaces the whole weekly schedule; an empty list means no weekly availability. */
export const weeklyScheduleDefined = defineEvent(
  'WeeklyScheduleDefined',
  z.object({
    rules: z.array(z.object({ ruleId: id, dayOfWeek: z.number().int().min(0).max(6), startTime: localTime, endTime: localEndTime })),
  }),
);
export type WeeklyScheduleDefined = EventOf<typeof weeklyScheduleDefined>;

export const availabilityRuleRemoved = defineEvent('AvailabilityRuleRemoved', z.object({ ruleId: id }));
export type AvailabilityRuleRemoved = EventOf<typeof availabilityRuleRemoved>;

export const availabilityExceptionAdded = defineEvent(
  'AvailabilityExceptionAdded',
  z.object({
    exceptionId: id,
    date: localDate,
    allDay: z.boolean(),
    startTime: localTime.nullable(),
    endTime: localEndTime.nullable(),
    /** false = blocked time; true = extra availability. */
    isAvailable: z.boolean(),
    reason: z.string().nullable(),
  }),
);
export type AvailabilityExceptionAdded = EventOf<typeof availabilityExceptionAdded>;

export const availabilityExceptionRemoved = defineEvent('AvailabilityExceptionRemoved', z.object({ exceptionId: id }));
export type AvailabilityExceptionRemoved = EventOf<typeof availabilityExceptionRemoved>;

/** Carries the full policy after the change, so a reader never needs earlier events to know it. */
export const bookingPoliciesChanged = defineEvent(
  'BookingPoliciesChanged',
  z.object({
    sessionDurationMinutes: minutes,
    bufferBeforeMinutes: minutes,
    bufferAfterMinutes: minutes,
    minAdvanceBookingHours: minutes,
    maxAdvanceBookingDays: minutes,
    timezone: z.string(),
    slotStepMinutes: minutes.nullable(),
  }),
);
export type BookingPoliciesChanged = EventOf<typeof bookingPoliciesChanged>;
